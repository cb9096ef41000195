/* uname is needed: stubbed, the call fails; faked, the name stays empty.
 *
 * @kind sequential
 * @test grep -qx 'ok Linux' "$1"
 * @expect uname required
 */
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
	struct utsname u = { 0 };
	if (uname(&u) != 0 || u.sysname[0] == '\0') return 1;
	printf("ok %s\n", u.sysname);
	return 0;
}
