-: kernel/syscall/table_check.c kernel/syscall/syscall.h \
  kernel/abi/errno.h kernel/abi/syscalls.h kernel/abi/types.h \
  kernel/mm/uaccess.h

kernel/syscall/syscall.h:

kernel/abi/errno.h:

kernel/abi/syscalls.h:

kernel/abi/types.h:

kernel/mm/uaccess.h:
