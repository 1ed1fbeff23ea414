/* Benchmark aid, not product code: LD_PRELOAD'ed into the `latch` binary, it turns every
 * setsockopt(TCP_NODELAY, 1) into a no-op, so scripts/bench-console can measure the same binary
 * with Nagle's algorithm left on ("before") and as shipped ("after"), side by side in one run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
    static int (*real)(int, int, int, const void *, socklen_t);
    if (!real) real = dlsym(RTLD_NEXT, "setsockopt");
    if (level == IPPROTO_TCP && name == TCP_NODELAY) return 0;
    return real(fd, level, name, value, len);
}
