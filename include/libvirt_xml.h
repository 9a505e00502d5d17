/*
 * The VM as a libvirt domain: a second renderer of the device list (the
 * QEMU argv is the first), for `vmlaunch export`.  Pure: plan and devices
 * in, XML text out; what libvirt cannot express is reported through the
 * diag sink at the key's origin, never rendered as a different VM.
 */
#ifndef VMLAUNCH_LIBVIRT_XML_H
#define VMLAUNCH_LIBVIRT_XML_H

#include "devices.h"
#include "diag.h"
#include "plan.h"
#include "strbuf.h"

/*
 * Append S to SB as XML character data or an attribute value (& < > " '
 * as entities, tab and line ends as character references).  Returns 0, or
 * -1 with nothing appended when S is not UTF-8 or holds a character XML
 * 1.0 cannot carry (the C0 controls, U+FFFE, U+FFFF).
 */
int xml_escape(struct strbuf *sb, const char *s);

/*
 * Render plan P with its devices DEVS as a libvirt domain into OUT.
 * Returns the number of errors reported through D (status 65, each at the
 * origin of its key); OUT is complete only when that is 0.  Mappings that
 * keep the guest's behaviour but not its machine are warnings.
 */
unsigned libvirt_xml_build(const struct vm_plan *p, const struct device_list *devs,
			   struct strbuf *out, struct diag *d);

#endif
