// Runs `switchyard serve` from source in a child process, for tests that kill it.
import { main } from '../../cli/main.js';

process.exitCode = await main(process.argv.slice(2));
