/*
 * libFuzzer target: job-file validation. Any bytes, read as an XML or
 * binary property list, must give a job spec or errors that each name the
 * file — never a crash or a spec without a label and a program.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > SPEC_MAX_FILE_SIZE)
		return 0;
	struct spec_diag diag = {0};
	plist_t root = spec_parse_bytes((const char *)data, size, "fuzz.plist", &diag); /* as spec_load_file */
	if (!root) {
		if (!diag.nerrors)
			abort();
		spec_diag_clear(&diag);
		return 0;
	}
	struct job_spec *s = spec_from_plist(root, "fuzz.plist", &diag);
	plist_free(root);
	if (s) {
		if (!s->label || !spec_program(s) || diag.nerrors)
			abort();
		spec_free(s);
	} else {
		if (!diag.nerrors)
			abort();
		for (size_t i = 0; i < diag.nerrors; i++)
			if (strncmp(diag.errors[i], "fuzz.plist: ", 12) != 0)
				abort();
		spec_diag_clear(&diag);
	}
	return 0;
}
