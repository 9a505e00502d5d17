#include "path.h"

#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

char *path_resolve(const char *base, const char *path)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	const char *p, *end;

	if (path[0] != '/') {
		sb_adds(&in, base);
		sb_addc(&in, '/');
	}
	sb_adds(&in, path);

	for (p = in.buf; *p; p = end) {
		size_t n;

		while (*p == '/')
			p++;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		sb_addc(&out, '/');
		sb_add(&out, p, n);
	}
	if (out.len == 0)
		sb_addc(&out, '/');
	sb_release(&in);
	return sb_detach(&out);
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

char *path_stem(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t n = strlen(base);

	if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
		n -= 5;
	return xstrndup(base, n);
}
