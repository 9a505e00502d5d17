#!/bin/sh
# net = e1000 on QEMU's user networking: the same checks as net-virtio.sh.
# shellcheck disable=SC2034  # (read by net-virtio.sh)
nic=e1000
# shellcheck source=tests/e2e/net-virtio.sh
. "$(dirname "$0")/net-virtio.sh"
