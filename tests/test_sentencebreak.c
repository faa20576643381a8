/* tests/test_sentencebreak.c — UAX #29 sentence boundaries: every line of
 * the Unicode 15.0 SentenceBreakTest.txt must segment as the file says. */
#include "breaktest.h"

int main(void)
{
    return bt_run("/usr/share/unicode/auxiliary/SentenceBreakTest.txt",
                  OPINE_SEGMENT_SENTENCE);
}
