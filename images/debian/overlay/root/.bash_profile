# vmlaunch: root's login shell.  On the serial console it prints the boot
# marker that `vmlaunch start --wait` and `vmlaunch test` wait for: from
# here on a shell reads the console.
[ -f ~/.profile ] && . ~/.profile
if [ "$(tty)" = /dev/ttyS0 ]; then
	echo 'vmlaunch: boot ok'
fi
