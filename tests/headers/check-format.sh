#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Every C source and header follows the committed .clang-format.
# usage: check-format.sh <clang-format> <source root>
set -u
cd "$2" || exit 1
files=$(git ls-files 'lib/*.[ch]' 'include/*.h' 'tests/*.[ch]' 'examples/*.[ch]' 2>/dev/null)
[ -n "$files" ] || files=$(find lib include tests examples -name '*.[ch]')
# shellcheck disable=SC2086
"$1" --dry-run -Werror $files && echo "$(echo "$files" | wc -w) files formatted"
