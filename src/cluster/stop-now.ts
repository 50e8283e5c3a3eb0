/**
 * The primary's push telling every worker to stop at once: the operator pressed Ctrl-C twice (a second
 * SIGINT to the primary). A worker that heard both SIGINTs itself (a terminal signals the whole process
 * group) stops at once anyway; one the primary alone was signalled to would otherwise go on draining.
 */
export const STOP_NOW_TOPIC = 'stop-now';
