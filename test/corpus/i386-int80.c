/* A 64-bit program that makes i386 system calls with `int $0x80`. seccomp reports them as
 * another architecture, and the filter lets them through: they cannot be perturbed, so they are
 * reported by their i386 names as "not analysed", while the native calls are analysed as usual.
 *
 * @kind sequential
 * @expect-not-analysed i386 getpid
 * @expect-not-analysed i386 getppid
 * @expect getpid stubOnly
 * @no-inject getpid strace's injection matches names in every ABI: it would also perturb the i386 getpid
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static long i386_call(long nr) {
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

int main(void) {
	long pid = i386_call(20);   /* i386 getpid */
	long ppid = i386_call(64);  /* i386 getppid */
	long own = syscall(SYS_getpid);
	if (own == 0 || pid <= 0 || ppid < 0) return 1;
	puts("ok");
	return 0;
}
