/* A syscall number newer than any table (500): the kernel answers ENOSYS, which the program
 * expects. It is kept, named by its number, and perturbed: stubbed, the answer is the same;
 * faked, the call "succeeds" and the program notices.
 *
 * @kind sequential
 * @expect syscall_500 stubOnly
 * @no-inject syscall_500 strace names syscalls only from its own table, so it cannot inject this one
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
	if (syscall(500) != -1 || errno != ENOSYS) return 1;
	puts("ok");
	return 0;
}
