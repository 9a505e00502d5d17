#!/bin/sh
# gdb lab, exercise 3: a disk read reaches the virtio-blk driver.  The guest
# reads one 4 KiB block of /dev/vda at a known offset with dd; gdb stops in
# virtio_queue_rq for the task named dd and reads the request: a read
# (REQ_OP_READ = 0) of 4096 bytes at sector 8 * SKIP, of disk vda.
. "$(dirname "$0")/lib.sh"
gdb_setup
# A block the boot has not read (the page cache would answer instead), in
# the 32 MiB disk.
skip=$((5000 + $$ % 2000))

gdb_session -batch -ex "$gdb_current" \
	-ex 'break virtio_queue_rq if $_streq(current->comm, "dd")' -ex c \
	-ex 'printf "rq: op=%d sector=%d bytes=%d disk=%s by %s\n", bd->rq->cmd_flags & 0xff, bd->rq->__sector, bd->rq->__data_len, bd->rq->q->disk->disk_name, current->comm' \
	-ex bt
console_send "dd if=/dev/vda of=/dev/null bs=4096 count=1 skip=$skip"
wait_vm_exit 20
[ "$vm_status" -eq 0 ] || fail "gdb-kernel.sh exited $vm_status$(fail_detail)"
grep -qx "rq: op=0 sector=$((skip * 8)) bytes=4096 disk=vda by dd" "$tmp/vm.out" ||
	fail "not dd's read of sector $((skip * 8)): $(cat "$tmp/vm.out")"
grep -q '^#[0-9]* .* in blkdev_read_iter ' "$tmp/vm.out" ||
	fail "the request does not come from a read of the block device: $(cat "$tmp/vm.out")"
! pgrep -f "qemu-system.*$tmp/" >/dev/null || fail "a QEMU is left running: $(pgrep -af "qemu-system.*$tmp/")"
exit 0
