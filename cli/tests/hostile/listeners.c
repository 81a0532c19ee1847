/*
 * A service that hides a listener beyond loopback from `scw-jwt edge` (cli/tests/hostile.rs
 * compiles and runs it). It listens where the edge asks (127.0.0.1:$PORT), waits two seconds,
 * then opens a socket on 0.0.0.0 the way MODE says and prints `late listener on <address>`:
 *
 *   leader-exits  a thread listens; the main thread calls pthread_exit, so the leader's
 *                 /proc/<pid>/fd is empty
 *   own-table     a thread calls unshare(CLONE_FILES), then listens: the descriptor is in
 *                 that thread's table only
 *   in-flight     the listener is sent over a socketpair with SCM_RIGHTS and closed: it lives
 *                 only in the queued message
 *   not-dumpable  PR_SET_DUMPABLE 0, then a listener: the fd table is root's
 *   udp           an unconnected UDP socket on 0.0.0.0
 *
 * and two that must not count, printing `innocent socket on <address>`:
 *
 *   udp-client    a UDP socket connected to the machine's own address, as a DNS lookup's
 *   outside       no edge: run beside it, not under it, as this user, it listens on 0.0.0.0
 *   outside-brief the same, and exits at once: its listener is gone by the edge's next look
 *
 * and one that hides no listener, but a process from the edge's way out:
 *
 *   leaderless    forks a child that leaves the service's session (so no signal to the
 *                 service's group reaches it) and whose main thread calls pthread_exit while
 *                 a second thread lives on, printing `leaderless child <pid>`:
 *                 `/proc/<pid>/stat` reads as a zombie's, yet the child runs, and must not
 *                 outlive the edge
 *
 * Test-only code: errors end the process with a message.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *mode;

static void fail(const char *what) {
    perror(what);
    exit(2);
}

/* A socket of `type` bound to `ip`:`port` (listening, for TCP); prints its address. */
static int open_socket(int type, in_addr_t ip, int port, const char *kind) {
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) fail("socket");
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    address.sin_addr.s_addr = ip;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) fail("bind");
    if (type == SOCK_STREAM && listen(fd, 16) != 0) fail("listen");
    socklen_t length = sizeof address;
    getsockname(fd, (struct sockaddr *)&address, &length);
    if (kind != NULL) {
        printf("%s on %s:%d%s\n", kind, inet_ntoa(address.sin_addr), ntohs(address.sin_port),
               type == SOCK_DGRAM ? " (udp)" : "");
        fflush(stdout);
    }
    return fd;
}

static int late_listener(void) {
    return open_socket(SOCK_STREAM, htonl(INADDR_ANY), 0, "late listener");
}

/* The second thread of the leaderless child: says who it is once its leader is gone. */
static void *leaderless_thread(void *unused) {
    (void)unused;
    usleep(200 * 1000); /* the leader exits first */
    printf("leaderless child %d\n", (int)getpid());
    fflush(stdout);
    for (;;) pause();
    return NULL;
}

static void *thread_main(void *unused) {
    (void)unused;
    if (strcmp(mode, "leader-exits") == 0) {
        usleep(500 * 1000); /* the leader exits first */
    } else if (unshare(CLONE_FILES) != 0) {
        fail("unshare");
    }
    late_listener();
    for (;;) pause();
    return NULL;
}

/* The machine's first IPv4 address that is not loopback. */
static in_addr_t own_address(void) {
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0) fail("getifaddrs");
    for (struct ifaddrs *one = all; one != NULL; one = one->ifa_next) {
        if (one->ifa_addr == NULL || one->ifa_addr->sa_family != AF_INET) continue;
        in_addr_t ip = ((struct sockaddr_in *)one->ifa_addr)->sin_addr.s_addr;
        if ((ntohl(ip) >> 24) != 127) return ip;
    }
    fprintf(stderr, "no address beyond loopback\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: listeners MODE\n");
        return 2;
    }
    mode = argv[1];
    if (strcmp(mode, "outside") == 0) {
        open_socket(SOCK_STREAM, htonl(INADDR_ANY), 0, "innocent socket");
        for (;;) pause();
    }
    if (strcmp(mode, "outside-brief") == 0) {
        open_socket(SOCK_STREAM, htonl(INADDR_ANY), 0, NULL);
        return 0;
    }
    const char *port = getenv("PORT");
    if (port == NULL) fail("PORT");
    open_socket(SOCK_STREAM, htonl(INADDR_LOOPBACK), atoi(port), NULL);
    sleep(2);
    if (strcmp(mode, "leader-exits") == 0 || strcmp(mode, "own-table") == 0) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, thread_main, NULL) != 0) fail("pthread_create");
        if (strcmp(mode, "leader-exits") == 0) pthread_exit(NULL);
    } else if (strcmp(mode, "leaderless") == 0) {
        pid_t child = fork();
        if (child < 0) fail("fork");
        if (child == 0) {
            if (setsid() < 0) fail("setsid");
            pthread_t thread;
            if (pthread_create(&thread, NULL, leaderless_thread, NULL) != 0) fail("pthread_create");
            pthread_exit(NULL);
        }
    } else if (strcmp(mode, "in-flight") == 0) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) != 0) fail("socketpair");
        int listener = late_listener();
        char byte = 0;
        struct iovec io = {.iov_base = &byte, .iov_len = 1};
        char control[CMSG_SPACE(sizeof(int))];
        memset(control, 0, sizeof control);
        struct msghdr message = {.msg_iov = &io,
                                 .msg_iovlen = 1,
                                 .msg_control = control,
                                 .msg_controllen = sizeof control};
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(header), &listener, sizeof(int));
        if (sendmsg(pair[0], &message, 0) != 1) fail("sendmsg");
        close(listener);
    } else if (strcmp(mode, "not-dumpable") == 0) {
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("prctl");
        late_listener();
    } else if (strcmp(mode, "udp") == 0) {
        open_socket(SOCK_DGRAM, htonl(INADDR_ANY), 0, "late listener");
    } else if (strcmp(mode, "udp-client") == 0) {
        int fd = open_socket(SOCK_DGRAM, htonl(INADDR_ANY), 0, NULL);
        struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(53)};
        server.sin_addr.s_addr = own_address();
        if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0) fail("connect");
        struct sockaddr_in local;
        socklen_t length = sizeof local;
        getsockname(fd, (struct sockaddr *)&local, &length);
        printf("innocent socket on %s:%d (udp)\n", inet_ntoa(local.sin_addr), ntohs(local.sin_port));
        fflush(stdout);
    } else {
        fprintf(stderr, "no mode %s\n", mode);
        return 2;
    }
    for (;;) pause();
}
