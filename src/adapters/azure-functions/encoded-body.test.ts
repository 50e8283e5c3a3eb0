import { describeEncodedBodies } from '../testing/encoded-body.js';
import { azureFront } from './testing/conformance-front.js';

describeEncodedBodies(azureFront);
