// Excerpts of real strace 6.1 logs (strace -f -q -X verbose -s 0) of small C programs on x86-64.
// Lines are verbatim and in their original order; excerpts leave out lines irrelevant to their test
// (mostly the dynamic loader's mmap, openat and read calls).

/** A program that starts a thread (clone3), forks a child that execs /bin/true, calls syscall 451 (unknown to strace 6.1), and kills a paused child. */
export const MULTI_PROCESS_LOG = String.raw`17471 execve("./f", [...], 0x7fff9cf4dfe8 /* 35 vars */) = 0
17471 brk(NULL)                         = 0x560f9c1b7000
17471 arch_prctl(0x1002 /* ARCH_SET_FS */, 0x7f00278a9740) = 0
17471 set_tid_address(0x7f00278a9a10)   = 17471
17471 set_robust_list(0x7f00278a9a20, 24) = 0
17471 rseq(0x7f00278aa060, 0x20, 0, 0x53053053) = 0
17471 prlimit64(0, 0x3 /* RLIMIT_STACK */, NULL, {rlim_cur=8388608 /* 8192*1024 */, rlim_max=18446744073709551615 /* RLIM64_INFINITY */}) = 0
17471 munmap(0x7f0027a8e000, 35355)     = 0
17471 access("/proc/a, \"{b}(c)\\d", 0 /* F_OK */) = -1 ENOENT (No such file or directory)
17471 rt_sigaction(33 /* SIGRT_1 */, {sa_handler=0x7f0027932720, sa_mask=[], sa_flags=0x1c000004 /* SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_SIGINFO */, sa_restorer=0x7f00278e8050}, NULL, 8) = 0
17471 rt_sigprocmask(0x1 /* SIG_UNBLOCK */, [32 /* RTMIN */ 33 /* RT_1 */], NULL, 8) = 0
17471 getrandom(""..., 8, 0x1 /* GRND_NONBLOCK */) = 8
17471 brk(NULL)                         = 0x560f9c1b7000
17471 brk(0x560f9c1d8000)               = 0x560f9c1d8000
17471 rt_sigprocmask(0 /* SIG_BLOCK */, ~[], [], 8) = 0
17471 clone3({flags=0x3d0f00 /* CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID */, child_tid=0x7f00278a8990, parent_tid=0x7f00278a8990, exit_signal=0, stack=0x7f00270a8000, stack_size=0x7fff80, tls=0x7f00278a86c0} => {parent_tid=[17474]}, 88) = 17474
17471 rt_sigprocmask(0x2 /* SIG_SETMASK */, [], NULL, 8) = 0
17471 clone(child_stack=NULL, flags=0x1200000 /* CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID */|17 /* SIGCHLD */, child_tidptr=0x7f00278a9a10) = 17476
17471 wait4(17476,  <unfinished ...>
17476 set_robust_list(0x7f00278a9a20, 24 <unfinished ...>
17474 rseq(0x7f00278a8fe0, 0x20, 0, 0x53053053 <unfinished ...>
17476 <... set_robust_list resumed>)    = 0
17476 execve("/bin/true", [...], 0x7ffd0e96bab8 /* 35 vars */ <unfinished ...>
17474 <... rseq resumed>)               = 0
17474 set_robust_list(0x7f00278a89a0, 24) = 0
17474 rt_sigprocmask(0x2 /* SIG_SETMASK */, [], NULL, 8) = 0
17474 clock_nanosleep(0 /* CLOCK_REALTIME */, 0, {tv_sec=0, tv_nsec=20000000},  <unfinished ...>
17476 <... execve resumed>)             = 0
17476 brk(NULL)                         = 0x55cce8580000
17476 arch_prctl(0x1002 /* ARCH_SET_FS */, 0x7eff4276e740) = 0
17476 set_tid_address(0x7eff4276ea10)   = 17476
17476 set_robust_list(0x7eff4276ea20, 24) = 0
17476 rseq(0x7eff4276f060, 0x20, 0, 0x53053053) = 0
17476 prlimit64(0, 0x3 /* RLIMIT_STACK */, NULL, {rlim_cur=8388608 /* 8192*1024 */, rlim_max=18446744073709551615 /* RLIM64_INFINITY */}) = 0
17476 munmap(0x7eff42953000, 35355)     = 0
17476 exit_group(0)                     = ?
17476 +++ exited with 0 +++
17471 <... wait4 resumed>NULL, 0, NULL) = 17476
17471 --- SIGCHLD {si_signo=17 /* SIGCHLD */, si_code=0x1 /* CLD_EXITED */, si_pid=17476, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
17471 futex(0x7f00278a8990, 0x109 /* FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME */, 17474, NULL, 0xffffffff /* FUTEX_BITSET_MATCH_ANY */ <unfinished ...>
17474 <... clock_nanosleep resumed>NULL) = 0
17474 rt_sigprocmask(0 /* SIG_BLOCK */, ~[33 /* RT_1 */], NULL, 8) = 0
17474 madvise(0x7f00270a8000, 8368128, 0x4 /* MADV_DONTNEED */) = 0
17474 exit(0)                           = ?
17471 <... futex resumed>)              = 0
17474 +++ exited with 0 +++
17471 syscall_0x1c3(0, 0, 0x7f0027ad50e8, 0, 0xffffffff, 0x7f00278a86c0) = -1 EFAULT (Bad address)
17471 clone(child_stack=NULL, flags=0x1200000 /* CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID */|17 /* SIGCHLD */, child_tidptr=0x7f00278a9a10) = 17485
17485 set_robust_list(0x7f00278a9a20, 24) = 0
17471 clock_nanosleep(0 /* CLOCK_REALTIME */, 0, {tv_sec=0, tv_nsec=10000000},  <unfinished ...>
17485 pause( <unfinished ...>
17471 <... clock_nanosleep resumed>NULL) = 0
17471 kill(17485, 9 /* SIGKILL */)      = 0
17485 <... pause resumed>)              = ?
17471 wait4(17485,  <unfinished ...>
17485 +++ killed by SIGKILL +++
17471 <... wait4 resumed>NULL, 0, NULL) = 17485
17471 --- SIGCHLD {si_signo=17 /* SIGCHLD */, si_code=0x2 /* CLD_KILLED */, si_pid=17485, si_uid=0, si_status=9 /* SIGKILL */, si_utime=0, si_stime=0} ---
17471 exit_group(0)                     = ?
17471 +++ exited with 0 +++
`;

/** One process: ioctl requests strace decodes with commas in the comment, a futex with a shifted operand, unnamed syscalls, interrupted calls, exit status 3. */
export const SIGNALS_LOG = String.raw`13522 execve("./b", [...], 0x7ffea04fc6a8 /* 35 vars */) = 0
13522 ioctl(0, 0xc0186201 /* _IOC(_IOC_READ|_IOC_WRITE, 0x62, 0x1, 0x18) */, 0) = -1 ENOTTY (Inappropriate ioctl for device)
13522 ioctl(0, 0x89f0 /* SIOCDEVPRIVATE */, 0) = -1 ENOTTY (Inappropriate ioctl for device)
13522 clock_gettime(0x2 /* CLOCK_PROCESS_CPUTIME_ID */, {tv_sec=0, tv_nsec=1904761}) = 0
13522 clock_gettime(0xfffffffa /* CLOCK_??? */, {tv_sec=0, tv_nsec=1949625}) = 0
13522 futex(0x7fff3475f42c, 0x85 /* FUTEX_WAKE_OP_PRIVATE */, 1, 0, 0x7fff3475f42c, 0 /* FUTEX_OP_SET */<<28|0x1<<12|0 /* FUTEX_OP_CMP_EQ */<<24|0) = 0
13522 syscall_0x1d6(0x1, 0x2, 0x7f57d9271829, 0x7fff3475f42c, 0x1000, 0x7fff3475f558) = -1 ENOSYS (Function not implemented)
13522 syscall_0xffffffffffffffff(0x2, 0x7f57d9271829, 0xffffffffffffff80, 0x1000, 0x7fff3475f558, 0x7fff3475f558) = -1 ENOSYS (Function not implemented)
13522 prctl(0xf /* PR_SET_NAME */, ""...) = 0
13522 rt_sigaction(14 /* SIGALRM */, {sa_handler=0x55ad7f0b721e, sa_mask=[14 /* ALRM */], sa_flags=0x14000000 /* SA_RESTORER|SA_RESTART */, sa_restorer=0x7f57d91ac050}, {sa_handler=0 /* SIG_DFL */, sa_mask=[], sa_flags=0}, 8) = 0
13522 alarm(1)                          = 0
13522 clock_nanosleep(0 /* CLOCK_REALTIME */, 0, {tv_sec=2, tv_nsec=0}, NULL) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)
13522 --- SIGALRM {si_signo=14 /* SIGALRM */, si_code=0x80 /* SI_KERNEL */} ---
13522 rt_sigreturn({mask=[]})           = -1 EINTR (Interrupted system call)
13522 alarm(1)                          = 0
13522 read(0, 0x7fff3475f3ff, 1)        = ? ERESTARTSYS (To be restarted if SA_RESTART is set)
13522 --- SIGALRM {si_signo=14 /* SIGALRM */, si_code=0x80 /* SI_KERNEL */} ---
13522 rt_sigreturn({mask=[]})           = 0
13522 read(0, "", 1)                    = 0
13522 exit_group(3)                     = ?
13522 +++ exited with 3 +++
`;

/** A thread (not the leader) calls execve: strace moves it to the leader pid. */
export const THREAD_EXEC_LOG = String.raw`13528 execve("./b", [...], 0x7ffdcabcb730 /* 35 vars */) = 0
13528 clone3({flags=0x3d0f00 /* CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID */, child_tid=0x7f4812e0b990, parent_tid=0x7f4812e0b990, exit_signal=0, stack=0x7f481260b000, stack_size=0x7fff80, tls=0x7f4812e0b6c0} => {parent_tid=[13529]}, 88) = 13529
13529 rseq(0x7f4812e0bfe0, 0x20, 0, 0x53053053 <unfinished ...>
13528 rt_sigprocmask(0x2 /* SIG_SETMASK */, [], NULL, 8) = 0
13529 <... rseq resumed>)               = 0
13528 pause( <unfinished ...>
13529 set_robust_list(0x7f4812e0b9a0, 24) = 0
13529 rt_sigprocmask(0x2 /* SIG_SETMASK */, [], NULL, 8) = 0
13529 execve("/bin/true", [...], 0x7fff69ad79c0 /* 35 vars */ <unfinished ...>
13528 <... pause resumed>)              = ?
13528 +++ superseded by execve in pid 13529 +++
13528 <... execve resumed>)             = 0
13528 brk(NULL)                         = 0x55c067353000
13528 exit_group(0)                     = ?
13528 +++ exited with 0 +++
`;

/** Lines of one process: ioctl, fcntl, opens under /proc and /dev, socket with flags, calls above 334. */
export const SUBFEATURES_LOG = String.raw`12227 prlimit64(0, 0x3 /* RLIMIT_STACK */, NULL, {rlim_cur=8388608 /* 8192*1024 */, rlim_max=18446744073709551615 /* RLIM64_INFINITY */}) = 0
12227 ioctl(0, 0x5401 /* TCGETS */, 0x7ffddf28af70) = -1 ENOTTY (Inappropriate ioctl for device)
12227 fcntl(1, 0x3 /* F_GETFL */)       = 0x8001 (flags O_WRONLY|O_LARGEFILE)
12227 openat(-100 /* AT_FDCWD */, "/proc/self/maps", 0x80000 /* O_RDONLY|O_CLOEXEC */) = 3
12227 access("/dev/nonexistent\"x", 0 /* F_OK */) = -1 ENOENT (No such file or directory)
12227 close_range(3, 4294967295, 0)     = 0
12227 faccessat2(-100 /* AT_FDCWD */, "/etc/passwd", 0x4 /* R_OK */, 0) = 0
12227 socket(0x2 /* AF_INET */, 0x1 /* SOCK_STREAM */|0x800 /* SOCK_NONBLOCK */, 0 /* IPPROTO_IP */) = 3
`;

/** A process and its thread open their own /proc/PID and /proc/PID/task/TID files, and the parent's /proc/PPID/status. */
export const PROC_PID_LOG = String.raw`19370 execve("./p", [...], 0x7ffff9a5a088 /* 35 vars */) = 0
19370 getpid()                          = 19370
19370 openat(-100 /* AT_FDCWD */, "/proc/19370/status", 0 /* O_RDONLY */) = 3
19370 openat(-100 /* AT_FDCWD */, "/proc/19367/status", 0 /* O_RDONLY */) = 3
19370 clone3({flags=0x3d0f00 /* CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID */, child_tid=0x7f8a0a8fc990, parent_tid=0x7f8a0a8fc990, exit_signal=0, stack=0x7f8a0a0fc000, stack_size=0x7fff80, tls=0x7f8a0a8fc6c0} => {parent_tid=[19371]}, 88) = 19371
19371 gettid()                          = 19371
19371 getpid()                          = 19370
19371 openat(-100 /* AT_FDCWD */, "/proc/19370/task/19371/comm", 0 /* O_RDONLY */) = 3
19371 +++ exited with 0 +++
19370 +++ exited with 0 +++
`;

/** The same calls traced without -X verbose: constants are printed as bare names, which carry no number. */
export const NON_VERBOSE_LOG = String.raw`19376 openat(AT_FDCWD, "/proc/19376/status", O_RDONLY) = 3
19376 openat(AT_FDCWD, "/proc/19373/status", O_RDONLY) = 3
19377 openat(AT_FDCWD, "/proc/19376/task/19377/comm", O_RDONLY) = 3
`;
