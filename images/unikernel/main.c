/*
 * main.c — the vmlaunch unikernel: the smallest guest that vmlaunch can boot.
 *
 * A freestanding 32-bit multiboot v1 kernel (no libc) that QEMU's -kernel
 * loads directly.  On COM1 (I/O port 0x3f8) it prints
 *
 *	vmlaunch unikernel: hello
 *	cmdline: <the arguments>
 *
 * then leaves QEMU through the isa-debug-exit device at I/O port 0xf4
 * (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`, debug_exit = yes in
 * a vmlaunch config) with the status N given as `exit=N` on its command
 * line (vmlaunch's `append`):
 *
 *	exit=N      N decimal, 0..127; the last exit= word counts.  QEMU
 *	            then exits with (N << 1) | 1: exit=0 -> 1, exit=3 -> 7,
 *	            exit=42 -> 85, and vmlaunch, which undoes the shift, with
 *	            N itself.  128..255 are refused because an exit status
 *	            has 8 bits: exit=128 would come out as 1, i.e. exit=0.
 *	no exit=    N = 0, so QEMU exits with 1 (vmlaunch with 0).
 *	malformed   (empty, not decimal, above 127): a message on the serial
 *	            port and N = 127, so QEMU exits with 255 (vmlaunch 127).
 *
 * QEMU itself also exits with 1 when it fails (a missing kernel file, a
 * bad option), so a test should ask for some N > 0.  Started by something
 * other than a multiboot loader, the kernel has no command line and exits
 * with N = 127 too.
 *
 * Without the device the write goes nowhere: the kernel says so and halts
 * with interrupts off, and QEMU runs until it is stopped.
 *
 * Built by `make images` (images/images.mk) into images/out/unikernel.elf;
 * images/unikernel.conf boots it.
 */
#include <stddef.h>
#include <stdint.h>

#define MB_BOOT_MAGIC	0x2BADB002u	/* EAX at entry from a multiboot loader */
#define MB_INFO_CMDLINE	(1u << 2)	/* multiboot info flag: cmdline is valid */

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding register (DLAB = 0) */
#define UART_DLL	0	/* divisor latch, low byte (DLAB = 1) */
#define UART_IER	1	/* interrupt enable (DLAB = 0) */
#define UART_DLM	1	/* divisor latch, high byte (DLAB = 1) */
#define UART_FCR	2	/* FIFO control */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_LCR_DLAB	0x80
#define UART_LCR_8N1	0x03
#define UART_LSR_THRE	0x20	/* the transmit holding register is empty */

#define DEBUG_EXIT_PORT	0xf4
#define EXIT_MAX	127	/* largest N whose (N << 1) | 1 fits 8 bits */
#define EXIT_MALFORMED	EXIT_MAX	/* for a bad exit= word */

/* The start of the multiboot v1 info structure: all this kernel reads. */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;	/* physical address of a NUL-terminated string */
};

void kmain(uint32_t magic, const struct multiboot_info *info);

static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	__asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

/*
 * Program the 16550 ourselves: nothing guarantees that firmware did (the
 * multiboot option ROM does not), and a real UART would otherwise send at
 * whatever rate it was left in.  QEMU ignores the rate, so 115200 8N1 costs
 * nothing.  No interrupts: every byte is sent by polling.
 */
static void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + UART_DLL, 1);		/* 115200 / 1 */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, UART_LCR_8N1);
	outb(COM1 + UART_FCR, 0xc7);		/* enable and clear FIFOs */
	outb(COM1 + UART_MCR, 0x03);		/* DTR, RTS */
}

static void serial_putc(char c)
{
	/* Writing while the holding register is full would drop the byte. */
	while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

/* A terminal on the other end wants CR LF. */
static void serial_puts(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			serial_putc('\r');
		serial_putc(*s);
	}
}

static void serial_putn(const char *s, size_t len)
{
	while (len--)
		serial_putc(*s++);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_space(const char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

static const char *skip_word(const char *s)
{
	while (*s && !is_space(*s))
		s++;
	return s;
}

/*
 * QEMU (hw/i386/multiboot.c, checked with 7.2) passes "<kernel file> <append>"
 * as the multiboot command line, even when there is no -append: the file
 * name stands in for argv[0], as with GRUB.  Skip that first word so only
 * the arguments remain.  A kernel path containing a space would leak its
 * tail into the arguments, and nothing tells us where the name ends: keep
 * the path to this kernel free of spaces.
 */
static const char *cmdline_args(const char *cmdline)
{
	return skip_space(skip_word(skip_space(cmdline)));
}

/* The decimal value of one exit= word; -1 when it is not 0..EXIT_MAX. */
static int parse_status(const char *s, size_t len)
{
	int val = 0;

	if (len == 0 || len > 3)
		return -1;
	for (; len; s++, len--) {
		if (*s < '0' || *s > '9')
			return -1;
		val = val * 10 + (*s - '0');
	}
	return val <= EXIT_MAX ? val : -1;
}

static int has_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* The last word of args that starts with key, and its length; NULL if none. */
static const char *last_word_with(const char *args, const char *key,
				  size_t *len)
{
	const char *found = NULL;

	for (args = skip_space(args); *args; args = skip_space(args)) {
		const char *end = skip_word(args);

		if (has_prefix(args, key)) {
			found = args;
			*len = (size_t)(end - args);
		}
		args = end;
	}
	return found;
}

/* The status requested by the last exit=N word of args; 0 when none. */
static int exit_status(const char *args)
{
	static const char key[] = "exit=";
	const size_t klen = sizeof(key) - 1;
	const char *word;
	size_t len;
	int status;

	word = last_word_with(args, key, &len);
	if (!word)
		return 0;
	status = parse_status(word + klen, len - klen);
	if (status < 0) {
		serial_puts("vmlaunch unikernel: malformed '");
		serial_putn(word, len);
		serial_puts("' (want exit=N, N in 0..127), exiting with 127\n");
		status = EXIT_MALFORMED;
	}
	return status;
}

/*
 * isa-debug-exit makes QEMU exit((value << 1) | 1) on a write.  Without the
 * device the write is ignored and we are still here: stop for good rather
 * than return into the boot code's caller, which does not exist.
 */
static void __attribute__((noreturn)) debug_exit(int status)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)status);
	serial_puts("vmlaunch unikernel: no isa-debug-exit device at port 0xf4 "
		    "(debug_exit = yes in the config), halting\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

void kmain(uint32_t magic, const struct multiboot_info *info)
{
	const char *args = "";

	serial_init();
	serial_puts("vmlaunch unikernel: hello\n");

	if (magic != MB_BOOT_MAGIC) {
		serial_puts("vmlaunch unikernel: not started by a multiboot "
			    "loader, no command line\n");
		debug_exit(EXIT_MALFORMED);
	}
	if (info->flags & MB_INFO_CMDLINE)
		args = cmdline_args((const char *)(uintptr_t)info->cmdline);

	serial_puts("cmdline: ");
	serial_puts(args);
	serial_puts("\n");

	debug_exit(exit_status(args));
}
