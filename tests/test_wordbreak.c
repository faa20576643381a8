/* tests/test_wordbreak.c — UAX #29 word boundaries: every line of the
 * Unicode 15.0 WordBreakTest.txt must segment as the file says. */
#include "breaktest.h"

int main(void)
{
    return bt_run("/usr/share/unicode/auxiliary/WordBreakTest.txt",
                  OPINE_SEGMENT_WORD);
}
