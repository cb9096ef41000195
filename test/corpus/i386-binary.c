/* A 32-bit x86 binary: every call it makes is an i386 call that the filter lets through, so every
 * syscall would come out "can be stubbed or faked". It is refused before any run, naming the
 * architecture found.
 *
 * @kind sequential
 * @build -m32
 * @expect-error 3 i386 \(32-bit x86\), not x86-64
 */
#include <stdio.h>

int main(void) {
	puts("ok");
	return 0;
}
