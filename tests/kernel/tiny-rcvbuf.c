/*
 * tests/kernel/tiny-rcvbuf.c: an LD_PRELOAD library for the fault tests
 * (tests/kernel/faults). Every request to size a socket's receive buffer
 * (SO_RCVBUF, SO_RCVBUFFORCE) is replaced by one for $TINY_RCVBUF bytes
 * (default 4096; the kernel doubles it and has a floor of about 4.5 KiB),
 * so that a program cannot enlarge the buffer. When $TINY_RCVBUF_LOG names
 * a file, each replaced request appends a line to it:
 *   fd=N asked=BYTES forced=BYTES now=BYTES
 * (now: what getsockopt(SO_RCVBUF) reports afterwards).
 * Built by tests/kernel/faults: cc -shared -fPIC -o tiny-rcvbuf.so tiny-rcvbuf.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    static setsockopt_fn real;
    if (!real)
        real = (setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
    if (level != SOL_SOCKET || (name != SO_RCVBUF && name != SO_RCVBUFFORCE))
        return real(fd, level, name, val, len);

    const char *env = getenv("TINY_RCVBUF");
    int tiny = env ? atoi(env) : 4096;
    int asked = (val && len >= sizeof(int)) ? *(const int *)val : -1;
    /* FORCE goes past net.core.rmem_max (root); fall back to the plain one */
    int rc = real(fd, level, SO_RCVBUFFORCE, &tiny, sizeof tiny);
    if (rc != 0)
        rc = real(fd, level, SO_RCVBUF, &tiny, sizeof tiny);

    const char *log = getenv("TINY_RCVBUF_LOG");
    if (log) {
        int now = -1;
        socklen_t nl = sizeof now;
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &now, &nl);
        FILE *f = fopen(log, "a");
        if (f) {
            fprintf(f, "fd=%d asked=%d forced=%d now=%d\n", fd, asked, tiny, now);
            fclose(f);
        }
    }
    return rc;
}
