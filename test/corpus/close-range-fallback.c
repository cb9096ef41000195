/* closefrom uses close_range (Linux 5.9, number 436: above the original Loupe's 334) and glibc
 * falls back to closing what /proc/self/fd lists when it says ENOSYS. Faked, nothing is closed.
 *
 * @kind sequential
 * @expect close_range stubOnly
 * @fallback close_range openat getdents64 close
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
	if (dup2(1, 20) != 20) return 1;
	closefrom(10);
	if (fcntl(20, F_GETFD) != -1 || errno != EBADF) return 2;
	puts("ok");
	return 0;
}
