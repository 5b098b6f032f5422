/* Diagnostic only (bench/annotate/run.sh with NOSYNC=1): an LD_PRELOAD shim that turns
 * fsync/fdatasync into no-ops, to measure how much of the server's time per submission
 * is the durable commit. A server run with it is NOT crash-safe; never use it otherwise. */
int fsync(int fd) {
  (void)fd;
  return 0;
}
int fdatasync(int fd) {
  (void)fd;
  return 0;
}
