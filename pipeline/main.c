/* pipeline/main.c — the opine command line (placeholder until the CLI lands). */
#include <stdio.h>

int main(void)
{
    fputs("opine: not built yet\n", stderr);
    return 2;
}
