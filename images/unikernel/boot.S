/*
 * boot.S — multiboot v1 header and entry point of the vmlaunch unikernel.
 *
 * The loader (QEMU's -kernel, which recognises the header below) enters
 * _start in 32-bit protected mode with paging off and flat segments,
 * EAX = 0x2BADB002 and EBX = the physical address of the multiboot info.
 * There is no usable stack and interrupts are off: set up our own stack,
 * zero .bss, and hand both registers to the C code.
 */

#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0		/* ELF: no a.out kludge, no extras */
#define STACK_SIZE	16384

	.section .multiboot, "a"
	.balign 4
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

	.section .bss
	.balign 16
stack_bottom:
	.skip	STACK_SIZE
stack_top:

	.section .text
	.globl	_start
	.type	_start, @function
_start:
	cli
	cld
	movl	$stack_top, %esp

	/* Keep the loader's registers: the .bss clear uses EAX and EDI. */
	movl	%eax, %esi
	movl	$__bss_start, %edi
	movl	$__bss_end, %ecx
	subl	%edi, %ecx
	xorl	%eax, %eax
	rep stosb

	/* kmain(magic, info), cdecl; the stack stays 16-byte aligned. */
	subl	$8, %esp
	pushl	%ebx
	pushl	%esi
	call	kmain

	/* kmain does not return; should it, stop here rather than run on. */
halt:
	cli
	hlt
	jmp	halt
	.size	_start, . - _start

	/* No executable stack: without this note ld warns. */
	.section .note.GNU-stack, "", @progbits
