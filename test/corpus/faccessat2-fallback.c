/* faccessat with flags goes to faccessat2 (Linux 5.8), and glibc falls back to faccessat and
 * fstatat when it says ENOSYS. Faked, faccessat2 says a missing file is accessible.
 *
 * @kind sequential
 * @expect faccessat2 stubOnly
 * @fallback faccessat2 faccessat
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
	if (faccessat(AT_FDCWD, "/nonexistent-corpus-file", R_OK, AT_EACCESS) == 0) return 1;
	if (faccessat(AT_FDCWD, "/", R_OK, AT_EACCESS) != 0) return 2;
	puts("ok");
	return 0;
}
