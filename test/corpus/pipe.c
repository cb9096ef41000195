/* Bytes through a pipe: pipe2 stubbed fails; faked, it returns no descriptors.
 *
 * @kind sequential
 * @expect pipe2 required
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
	int fds[2] = { -1, -1 };
	char c = 0;
	if (pipe2(fds, O_CLOEXEC) != 0) return 1;
	if (write(fds[1], "x", 1) != 1 || read(fds[0], &c, 1) != 1 || c != 'x') return 2;
	puts("ok");
	return 0;
}
