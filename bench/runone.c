/* runone: run a command once with its output discarded and print
 *   WALL_SECONDS MAX_RSS_KB EXIT_STATUS
 * (exit status 128+N when killed by signal N).  bench/run compiles it on the
 * fly and calls it for every timed run, so wall time and peak RSS come from
 * the same run and the clock covers only fork..wait4 of the command itself,
 * not the shell that started runone.
 *
 * With -w PID it also watches process PID while the command runs (polling
 * /proc/PID/stat about every 50 us) and appends
 *   STOPPED_SECONDS LONGEST_STOP_SECONDS SAMPLES
 * the time PID spent stopped (state t or T: ptrace or job-control stop), as
 * seen from outside: how long a live tool froze the process.
 *
 *   runone [-w PID] PROGRAM [ARG...]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* true when the process behind the open /proc/PID/stat is stopped */
static bool is_stopped(int fd)
{
    char buf[1024];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return false;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 't' || p[2] == 'T');
}

int main(int argc, char **argv)
{
    int watch_fd = -1;
    if (argc >= 3 && strcmp(argv[1], "-w") == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/stat", argv[2]);
        watch_fd = open(path, O_RDONLY);
        if (watch_fd < 0) {
            perror(path);
            return 66;
        }
        argv += 2;
        argc -= 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: runone [-w PID] PROGRAM [ARG...]\n");
        return 64;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runone: fork");
        return 70;
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    struct rusage ru;
    double stopped = 0, longest = 0, stop_start = 0, last = now();
    long samples = 0;
    bool was_stopped = false;
    if (watch_fd >= 0) {
        for (;;) {
            pid_t w = wait4(pid, &status, WNOHANG, &ru);
            if (w < 0) {
                perror("runone: wait4");
                return 70;
            }
            double t = now();
            bool st = is_stopped(watch_fd);
            samples++;
            /* a stop counts from the first sample that saw it to the first
             * that did not (resolution: one polling interval) */
            if (st && !was_stopped)
                stop_start = last;
            if (!st && was_stopped) {
                stopped += t - stop_start;
                if (t - stop_start > longest)
                    longest = t - stop_start;
            }
            was_stopped = st;
            last = t;
            if (w == pid)
                break;
            nanosleep(&(struct timespec){ .tv_nsec = 50000 }, NULL);
        }
        if (was_stopped) { /* still stopped when the command ended */
            stopped += last - stop_start;
            if (last - stop_start > longest)
                longest = last - stop_start;
        }
    } else if (wait4(pid, &status, 0, &ru) < 0) {
        perror("runone: wait4");
        return 70;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (watch_fd >= 0)
        printf("%.6f %ld %d %.6f %.6f %ld\n", wall, ru.ru_maxrss, rc, stopped, longest, samples);
    else
        printf("%.6f %ld %d\n", wall, ru.ru_maxrss, rc);
    return 0;
}
