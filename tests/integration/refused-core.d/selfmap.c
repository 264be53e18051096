/*
 * LD_PRELOAD'ed into PostgreSQL by tests/integration/refused-core: maps the
 * first page of the process's own executable right after its image, where
 * the patched PT_NOTE of that executable sends libdwfl looking for the
 * build-id note (see patch-note).  Backends inherit the mapping from the
 * postmaster.  The kernel, ld.so and gdb never look there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* The end of the executable's image, page-rounded: its last PT_LOAD's end. */
static int image_end(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t end = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type == PT_LOAD && p->p_vaddr + p->p_memsz > end)
			end = p->p_vaddr + p->p_memsz;
	}
	*(uintptr_t *)arg = (info->dlpi_addr + end + 4095) & ~(uintptr_t)4095;
	return 1;   /* the first object is the executable */
}

__attribute__((constructor)) static void map_self_after_image(void)
{
	uintptr_t at = 0;
	dl_iterate_phdr(image_end, &at);
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || mmap((void *)at, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0) ==
			      MAP_FAILED)
		perror("selfmap");
	if (fd >= 0)
		close(fd);
}
