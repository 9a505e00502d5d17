/* vmlaunch-init's bytes inside vmlaunch, so vmlaunch stays one file. */
	.section .rodata
	.balign 16
	.globl vmlaunch_init_start
	.globl vmlaunch_init_end
vmlaunch_init_start:
	.incbin "build/vmlaunch-init"
vmlaunch_init_end:
	.section .note.GNU-stack,"",@progbits
