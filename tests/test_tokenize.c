/* tests/test_tokenize.c — the tokenizer's rules, case by case, plus a
 * property test on random bytes.
 *
 * Each table row is one input and the tokens it must give: normalised form
 * and kind, and where it matters the sentence index, the surface text and
 * the byte offset. Every row is also checked against the invariants that
 * hold for any input (spans in bounds and increasing, surface length equal
 * to len, NUL-terminated normalised forms, dense sentence indexes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/error.h"
#include "stages/tokenize.h"

#define MAXTOK 24

struct exp {
    const char *norm; /* NULL ends the list */
    int kind;
    int sentence;     /* -1: not checked */
    const char *surf; /* NULL: not checked */
    int start;        /* -1: not checked */
};

struct tcase {
    const char *name;
    const char *text;
    size_t len;     /* 0: strlen(text) */
    int nsentences; /* -1: not checked */
    struct exp tok[MAXTOK];
};

#define WORD OPINE_TOKEN_WORD
#define NUM OPINE_TOKEN_NUMBER
#define W(n)                                                                   \
    {                                                                          \
        n, WORD, -1, NULL, -1                                                  \
    }
#define N(n)                                                                   \
    {                                                                          \
        n, NUM, -1, NULL, -1                                                   \
    }
#define WS(n, s)                                                               \
    {                                                                          \
        n, WORD, s, NULL, -1                                                   \
    }
#define NS(n, s)                                                               \
    {                                                                          \
        n, NUM, s, NULL, -1                                                    \
    }
#define URL OPINE_TOKEN_URL
#define EMAIL OPINE_TOKEN_EMAIL
#define HANDLE OPINE_TOKEN_HANDLE
#define TAG OPINE_TOKEN_HASHTAG
/* any kind: normalised form, kind, sentence */
#define K(n, k, s)                                                             \
    {                                                                          \
        n, k, s, NULL, -1                                                      \
    }
#define U(n) K(n, URL, -1)
#define E(n) K(n, EMAIL, -1)
#define H(n) K(n, HANDLE, -1)
#define T(n) K(n, TAG, -1)
/* normalised form, surface and byte offset */
#define WAT(n, surf, at)                                                       \
    {                                                                          \
        n, WORD, -1, surf, at                                                  \
    }

static const struct tcase cases[] = {
    /* Degenerate inputs. */
    {"empty", "", 0, 0, {{0}}},
    {"only_punctuation", "... !!! ?? -- ,,, () “” ’ ‘ — …", 0, 0, {{0}}},
    {"only_whitespace", "  \n\n\t \r\n \xc2\xa0", 0, 0, {{0}}},

    /* Words and ASCII case folding. */
    {"simple", "The cat sat.", 0, 1, {W("the"), W("cat"), W("sat")}},
    {"ascii_fold",
     "Korea KOREA korea",
     0,
     1,
     {WAT("korea", "Korea", 0), WAT("korea", "KOREA", 6),
      WAT("korea", "korea", 12)}},
    /* Changed: "#tag" and "@user" were the words "tag" and "user"; they
     * are now a hashtag and a handle (their own kinds, see tokenize.h). */
    {"symbols_separate",
     "a+b=c #tag @user e-mail/fax",
     0,
     -1,
     {W("a"), W("b"), W("c"), T("#tag"), H("@user"), W("e-mail"), W("fax")}},

    /* Apostrophes. */
    {"curly_possessive",
     "“Korea’s future”",
     0,
     1,
     {WAT("korea", "Korea", 3), WAT("future", "future", 13)}},
    {"ascii_possessive",
     "Korea's economy and KOREA'S",
     0,
     -1,
     {WAT("korea", "Korea", 0), WAT("economy", "economy", 8), W("and"),
      WAT("korea", "KOREA", 20)}},
    {"trailing_apostrophe",
     "Both cities’ reputations; the players' union",
     0,
     -1,
     {W("both"), WAT("cities", "cities", 5), W("reputations"), W("the"),
      WAT("players", "players", 32), W("union")}},
    {"contractions",
     "don't won’t can\xca\xbct O'Neill rock'n'roll",
     0,
     -1,
     {WAT("don't", "don't", 0), WAT("won't", "won’t", 6),
      WAT("can't", "can\xca\xbct", 14), W("o'neill"), W("rock'n'roll")}},
    {"pronoun_s_is_not_possessive",
     "It’s here; let's go, that's all",
     0,
     -1,
     {W("it's"), W("here"), W("let's"), W("go"), W("that's"), W("all")}},
    {"leading_apostrophe", "'90s ‘quoted’", 0, -1, {W("90s"), W("quoted")}},

    /* Hyphens. */
    {"hyphen_compounds",
     "burden-sharing whole-of-alliance COVID-19",
     0,
     -1,
     {W("burden-sharing"), W("whole-of-alliance"), W("covid-19")}},
    {"unicode_hyphens",
     "whole\xe2\x80\x90of\xe2\x80\x91"
     "alliance",
     0,
     -1,
     {WAT("whole-of-alliance",
          "whole\xe2\x80\x90of\xe2\x80\x91"
          "alliance",
          0)}},
    {"hyphen_not_between_words",
     "-5 well--done x- -y — z",
     0,
     -1,
     {N("5"), W("well"), W("done"), W("x"), W("y"), W("z")}},

    /* Abbreviations. */
    {"abbrev_letters",
     "the U.S. and U.N. e.g. i.e. U.S.A. too",
     0,
     1,
     {W("the"), WAT("u.s.", "U.S.", 4), W("and"), W("u.n."), W("e.g."),
      W("i.e."), W("u.s.a."), W("too")}},
    {"abbrev_groups",
     "a Ph.D. student",
     0,
     1,
     {W("a"), WAT("ph.d.", "Ph.D.", 2), W("student")}},
    {"abbrev_non_ascii",
     "É.U. and E\xcc\x81.U.",
     0,
     -1,
     {W("é.u."), W("and"), WAT("é.u.", "E\xcc\x81.U.", 10)}},
    {"abbrev_then_hyphen",
     "U.S.-led forces",
     0,
     1,
     {WAT("u.s.", "U.S.", 0), WAT("led", "led", 5), W("forces")}},
    {"abbrev_possessive",
     "the U.S.’s role",
     0,
     1,
     {W("the"), W("u.s."), W("role")}},
    {"abbrev_needs_final_period",
     "U.S is not",
     0,
     -1,
     {W("u"), W("s"), W("is"), W("not")}},
    {"not_abbrev_long_group", "U.S.Army", 0, -1, {W("u.s."), W("army")}},

    /* Numbers. */
    {"numbers",
     "2,000 3.5 1,000,000",
     0,
     -1,
     {{"2,000", NUM, 0, "2,000", 0}, N("3.5"), N("1,000,000")}},
    /* Changed: "3.5%" was the number "3.5"; a glued '%' now stays on. */
    {"number_percent_currency",
     "3.5% of $2,000.",
     0,
     -1,
     {{"3.5%", NUM, 0, "3.5%", 0}, W("of"), N("2,000")}},
    {"number_words",
     "the 1990s G20 4th",
     0,
     -1,
     {W("the"), W("1990s"), W("g20"), W("4th")}},
    {"comma_not_between_digits",
     "one,two 5,x 7, 8",
     0,
     -1,
     {W("one"), W("two"), N("5"), W("x"), N("7"), N("8")}},
    {"other_numerals", "½ cup, Ⅻ", 0, -1, {N("½"), W("cup"), N("ⅻ")}},

    /* Unicode. */
    {"fold_accented",
     "ÉCOLE école",
     0,
     -1,
     {WAT("école", "ÉCOLE", 0), W("école")}},
    {"fold_sharp_s",
     "Straße STRASSE straße",
     0,
     -1,
     {W("strasse"), W("strasse"), W("strasse")}},
    {"combining_mark_nfc",
     "cafe\xcc\x81 au",
     0,
     -1,
     {WAT("caf\xc3\xa9", "cafe\xcc\x81", 0), W("au")}},
    {"leading_combining_mark",
     "\xcc\x81x y",
     0,
     -1,
     {WAT("\xcc\x81x", "\xcc\x81x", 0), W("y")}},
    {"cyrillic",
     "Москва МОСКВА, «Правда»",
     0,
     -1,
     {W("москва"), W("москва"), W("правда")}},
    {"greek_sigma", "ΟΔΟΣ", 0, -1, {W("οδοσ")}},
    {"cjk_run", "東京は 大阪", 0, -1, {W("東京は"), W("大阪")}},
    {"nbsp_separates",
     "a\xc2\xa0"
     "b",
     0,
     -1,
     {W("a"), W("b")}},

    /* Invalid UTF-8 is a separator. */
    {"invalid_bytes",
     "abc\xff\xfe"
     "def \xc3 ghi \xe2\x80 jkl",
     0,
     -1,
     {WAT("abc", "abc", 0), WAT("def", "def", 5), WAT("ghi", "ghi", 11),
      WAT("jkl", "jkl", 18)}},
    {"overlong_and_surrogate",
     "a\xc0\xaf"
     "b\xed\xa0\x80"
     "c",
     0,
     -1,
     {W("a"), W("b"), W("c")}},
    {"truncated_at_end", "abc\xe2\x80", 0, -1, {W("abc")}},
    {"nul_byte", "ab\0cd", 5, -1, {W("ab"), WAT("cd", "cd", 3)}},

    /* Abbreviations, possessives and compounds in running text. */
    {"abbrev_possessive_curly",
     "the U.N.’s envoy and Biden’s aide",
     0,
     1,
     {W("the"), WAT("u.n.", "U.N.", 4), W("envoy"), W("and"),
      WAT("biden", "Biden", 23), W("aide")}},
    {"abbrev_before_compound",
     "U.S.-South Korea ties",
     0,
     1,
     {W("u.s."), WAT("south", "South", 5), W("korea"), W("ties")}},
    {"compound_only_whole",
     "burden-sharing, not burden or sharing",
     0,
     -1,
     {WAT("burden-sharing", "burden-sharing", 0), W("not"), W("burden"),
      W("or"), W("sharing")}},
    {"compound_with_digits_and_caps",
     "COVID-19 G-7 F-35A",
     0,
     -1,
     {W("covid-19"), W("g-7"), W("f-35a")}},

    /* URLs. */
    {"url_scheme_and_host_lowercased",
     "HTTPS://WWW.Example.ORG/Path/Page.HTML",
     0,
     1,
     {{"https://www.example.org/Path/Page.HTML", URL, 0,
       "HTTPS://WWW.Example.ORG/Path/Page.HTML", 0}}},
    {"url_www",
     "at www.Example.org/x now",
     0,
     1,
     {W("at"),
      {"www.example.org/x", URL, 0, "www.Example.org/x", 3},
      W("now")}},
    {"url_trailing_punctuation",
     "www.un.org, www.nato.int; http://a.org/b?! done",
     0,
     -1,
     {U("www.un.org"), U("www.nato.int"), U("http://a.org/b"), W("done")}},
    {"url_query_fragment_kept",
     "https://a.org/s?q=US%20Korea&x=1#Top",
     0,
     1,
     {U("https://a.org/s?q=US%20Korea&x=1#Top")}},
    {"url_unbalanced_bracket",
     "(see https://a.org/x).",
     0,
     1,
     {W("see"), {"https://a.org/x", URL, 0, "https://a.org/x", 5}}},
    {"url_balanced_parentheses",
     "https://en.wikipedia.org/wiki/Korea_(disambiguation)",
     0,
     1,
     {U("https://en.wikipedia.org/wiki/Korea_(disambiguation)")}},
    {"url_in_quotes",
     "“https://a.org/b” \"http://c.org\", [www.d.org]",
     0,
     -1,
     {{"https://a.org/b", URL, 0, "https://a.org/b", 3},
      U("http://c.org"),
      U("www.d.org")}},
    {"url_non_ascii_path",
     "https://ko.wikipedia.org/wiki/서울 here",
     0,
     -1,
     {U("https://ko.wikipedia.org/wiki/서울"), W("here")}},
    {"url_needs_host",
     "http:// and www.x or ftp://a.org",
     0,
     -1,
     {W("http"), W("and"), W("www"), W("x"), W("or"), W("ftp"), W("a"),
      W("org")}},

    /* E-mail addresses. */
    {"email_lowercased",
     "Write to Press@Example.COM now",
     0,
     1,
     {W("write"),
      W("to"),
      {"press@example.com", EMAIL, 0, "Press@Example.COM", 9},
      W("now")}},
    {"email_local_part_and_subdomains",
     "j.smith+news@mail.example.co.kr.",
     0,
     1,
     {{"j.smith+news@mail.example.co.kr", EMAIL, 0,
       "j.smith+news@mail.example.co.kr", 0}}},
    {"email_in_angle_brackets",
     "<kim_lee@korea.kr>",
     0,
     1,
     {E("kim_lee@korea.kr")}},
    {"email_needs_domain_and_tld",
     "user@localhost a@b.c x@y.1",
     0,
     -1,
     {W("user"), W("localhost"), W("a"), W("b"), W("c"), W("x"), W("y"),
      N("1")}},

    /* Handles. */
    {"handle",
     "@Moon_Jae_in said",
     0,
     1,
     {{"@moon_jae_in", HANDLE, 0, "@Moon_Jae_in", 0}, W("said")}},
    {"handle_punctuation_and_possessive",
     "(@kim). @POTUS’s tweet",
     0,
     -1,
     {H("@kim"), {"@potus", HANDLE, -1, "@POTUS", 8}, W("tweet")}},
    {"handle_thirty_characters",
     "@abcdefghijklmnopqrstuvwxyzabcd",
     0,
     1,
     {H("@abcdefghijklmnopqrstuvwxyzabcd")}},
    {"handle_too_long",
     "@abcdefghijklmnopqrstuvwxyzabcde",
     0,
     1,
     {W("abcdefghijklmnopqrstuvwxyzabcde")}},
    {"handle_not_inside_a_token",
     "a@b fee@ x@y @ z @josé",
     0,
     -1,
     {W("a"), W("b"), W("fee"), W("x"), W("y"), W("z"), W("josé")}},

    /* Hashtags. */
    {"hashtags",
     "#KoreaUS #MeToo #2020Election #covid_19",
     0,
     1,
     {{"#koreaus", TAG, 0, "#KoreaUS", 0},
      T("#metoo"),
      T("#2020election"),
      T("#covid_19")}},
    {"hashtag_number_is_number",
     "#1 #2020 #_",
     0,
     -1,
     {{"1", NUM, 0, "1", 1}, N("2020")}},
    {"hashtag_unicode",
     "#Сеул #서울 #Café",
     0,
     -1,
     {T("#сеул"), T("#서울"), T("#café")}},
    {"hashtag_not_inside_a_token",
     "C# F#minor &#x27;",
     0,
     -1,
     {W("c"), W("f"), W("minor"), W("x27")}},
    {"hashtag_ends_at_hyphen",
     "#burden-sharing",
     0,
     -1,
     {T("#burden"), W("sharing")}},

    /* Numbers. */
    {"percentages",
     "5.4% 50 % 100%. 1,000%",
     0,
     -1,
     {{"5.4%", NUM, 0, "5.4%", 0}, N("50"), N("100%"), N("1,000%")}},
    {"percent_needs_a_number", "G20% x% %5", 0, -1, {W("g20"), W("x"), N("5")}},
    {"currency_sign_is_no_token",
     "$1.2 billion, €30 and ₩1,000,000",
     0,
     -1,
     {{"1.2", NUM, 0, "1.2", 1},
      W("billion"),
      N("30"),
      W("and"),
      N("1,000,000")}},
    {"magnitude_suffix_is_a_word",
     "2.5bn 3m 1,000.50",
     0,
     -1,
     {W("2.5bn"), W("3m"), N("1,000.50")}},

    /* Diacritics stay (case folding is not accent stripping). */
    {"diacritics_kept",
     "Zürich résumé resume NAÏVE",
     0,
     -1,
     {W("zürich"), W("résumé"), W("resume"), W("naïve")}},
    {"nfc_uppercase_decomposed",
     "E\xcc\x81"
     "COLE",
     0,
     -1,
     {WAT("école",
          "E\xcc\x81"
          "COLE",
          0)}},
    {"cyrillic_compound_and_yo",
     "Нью-Йорк ЁЛКА",
     0,
     -1,
     {W("нью-йорк"), W("ёлка")}},
    {"offsets_multibyte",
     "“Korea’s” café-au-lait",
     0,
     -1,
     {WAT("korea", "Korea", 3), WAT("café-au-lait", "café-au-lait", 16)}},
};

/* Sentence boundaries: the sentence index of every token. */
static const struct tcase sentence_cases[] = {
    {"titles",
     "Mr. Moon met Dr. Kim. They talked.",
     0,
     2,
     {WS("mr", 0), WS("moon", 0), WS("met", 0), WS("dr", 0), WS("kim", 0),
      WS("they", 1), WS("talked", 1)}},
    {"initials",
     "N. R. Kleinfield wrote it. Then",
     0,
     2,
     {WS("n", 0), WS("r", 0), WS("kleinfield", 0), WS("wrote", 0), WS("it", 0),
      WS("then", 1)}},
    {"paragraph_break",
     "Headline here\n\nBody text\n \t\nmore",
     0,
     3,
     {WS("headline", 0), WS("here", 0), WS("body", 1), WS("text", 1),
      WS("more", 2)}},
    {"single_newline_no_break",
     "line one\nline two",
     0,
     1,
     {WS("line", 0), WS("one", 0), WS("line", 0), WS("two", 0)}},
    {"crlf_paragraph", "one.\r\n\r\ntwo", 0, 2, {WS("one", 0), WS("two", 1)}},
    {"question_exclamation",
     "Why? Because! Yes. no",
     0,
     3,
     {WS("why", 0), WS("because", 1), WS("yes", 2), WS("no", 2)}},
    {"quote_after_period",
     "He said “no.” Then left.",
     0,
     2,
     {WS("he", 0), WS("said", 0), WS("no", 0), WS("then", 1), WS("left", 1)}},
    {"ascii_quote_after_period",
     "He said \"no.\" Then",
     0,
     2,
     {WS("he", 0), WS("said", 0), WS("no", 0), WS("then", 1)}},
    {"opening_quote_starts_sentence",
     "He left. “Why?” she asked.",
     0,
     2,
     {WS("he", 0), WS("left", 0), WS("why", 1), WS("she", 1), WS("asked", 1)}},
    {"bracket_after_period",
     "(It ended.) Then (more).",
     0,
     2,
     {WS("it", 0), WS("ended", 0), WS("then", 1), WS("more", 1)}},
    {"glued_sentences",
     "to convene.Of the",
     0,
     2,
     {WS("to", 0), WAT("convene", "convene", 3), WS("of", 1), WS("the", 1)}},
    {"glued_lowercase_no_break",
     "amazon.com is big",
     0,
     1,
     {W("amazon"), W("com"), W("is"), W("big")}},
    {"lowercase_after_period_no_break",
     "He stopped. then went",
     0,
     1,
     {WS("he", 0), WS("stopped", 0), WS("then", 0), WS("went", 0)}},
    {"digit_starts_sentence",
     "It rose 5%. 2020 was worse",
     0,
     2,
     {WS("it", 0), WS("rose", 0), NS("5%", 0), NS("2020", 1), WS("was", 1),
      WS("worse", 1)}},
    {"year_then_period",
     "in 2019. The",
     0,
     2,
     {WS("in", 0), {"2019", NUM, 0, "2019", 3}, WS("the", 1)}},
    {"ellipsis",
     "Wait… What... Now",
     0,
     3,
     {WS("wait", 0), WS("what", 1), WS("now", 2)}},
    {"abbrev_at_sentence_end_limitation",
     "from the U.S. The next",
     0,
     1,
     {WS("from", 0), WS("the", 0), WS("u.s.", 0), WS("the", 0), WS("next", 0)}},
    {"pronoun_i_is_an_initial_limitation",
     "So did I. Then",
     0,
     1,
     {WS("so", 0), WS("did", 0), WS("i", 0), WS("then", 0)}},
    {"legal_and_dates",
     "Roe v. Wade on Jan. 6 at No. 10",
     0,
     1,
     {WS("roe", 0), WS("v", 0), WS("wade", 0), WS("on", 0), WS("jan", 0),
      NS("6", 0), WS("at", 0), WS("no", 0), NS("10", 0)}},
    {"unicode_uppercase_starts",
     "fin. Écoute",
     0,
     2,
     {WS("fin", 0), WS("écoute", 1)}},
    {"unicode_paragraph_separator",
     "a\xe2\x80\xa9"
     "b",
     0,
     2,
     {WS("a", 0), WS("b", 1)}},
    {"dense_sentences",
     "!!! \n\n ... Hello. \n\n\n\n ?? World",
     0,
     2,
     {WS("hello", 0), WS("world", 1)}},
    {"us_vice_president",
     "U.S. Vice President Joe Biden waves. Then",
     0,
     2,
     {WS("u.s.", 0), WS("vice", 0), WS("president", 0), WS("joe", 0),
      WS("biden", 0), WS("waves", 0), WS("then", 1)}},
    {"dr_park",
     "Dr. Park spoke. She left.",
     0,
     2,
     {WS("dr", 0), WS("park", 0), WS("spoke", 0), WS("she", 1), WS("left", 1)}},
    {"heading_paragraphs",
     "More on:\n\nNuclear Weapons\n\nThis article",
     0,
     3,
     {WS("more", 0), WS("on", 0), WS("nuclear", 1), WS("weapons", 1),
      WS("this", 2), WS("article", 2)}},
    {"exclamation_in_quotes",
     "“Go!” He ran. ‘Why?’ she asked",
     0,
     3,
     {WS("go", 0), WS("he", 1), WS("ran", 1), WS("why", 2), WS("she", 2),
      WS("asked", 2)}},
    {"question_exclamation_run",
     "Really?! Yes!!! no",
     0,
     2,
     {WS("really", 0), WS("yes", 1), WS("no", 1)}},
    {"url_with_periods",
     "Visit www.example.org. It works",
     0,
     2,
     {WS("visit", 0), K("www.example.org", URL, 0), WS("it", 1),
      WS("works", 1)}},
    {"url_then_period",
     "see https://example.org/a?b=c. Then",
     0,
     2,
     {WS("see", 0),
      {"https://example.org/a?b=c", URL, 0, "https://example.org/a?b=c", 4},
      WS("then", 1)}},
    {"email_with_periods",
     "Mail j.smith@mail.example.org. Then",
     0,
     2,
     {WS("mail", 0), K("j.smith@mail.example.org", EMAIL, 0), WS("then", 1)}},
    {"url_starts_sentence",
     "Read more. https://a.org/x is it",
     0,
     2,
     {WS("read", 0), WS("more", 0), K("https://a.org/x", URL, 1), WS("is", 1),
      WS("it", 1)}},
    {"handle_hashtag_start_sentences",
     "Great day. @POTUS agrees. #KoreaUS",
     0,
     3,
     {WS("great", 0), WS("day", 0), K("@potus", HANDLE, 1), WS("agrees", 1),
      K("#koreaus", TAG, 2)}},
    {"decimal_number",
     "Growth was 3.5 percent. It fell to 2.75.",
     0,
     2,
     {WS("growth", 0), WS("was", 0), NS("3.5", 0), WS("percent", 0),
      WS("it", 1), WS("fell", 1), WS("to", 1), NS("2.75", 1)}},
    {"percent_ends_sentence",
     "It rose 5.4%. Then",
     0,
     2,
     {WS("it", 0), WS("rose", 0), NS("5.4%", 0), WS("then", 1)}},
    {"ellipsis_then_lowercase",
     "Wait... and see… then go",
     0,
     1,
     {WS("wait", 0), WS("and", 0), WS("see", 0), WS("then", 0), WS("go", 0)}},
    {"ellipsis_then_uppercase",
     "Wait... And see… Then go",
     0,
     3,
     {WS("wait", 0), WS("and", 1), WS("see", 1), WS("then", 2), WS("go", 2)}},
    {"year_then_sentence",
     "It began in 2019. Then it grew",
     0,
     2,
     {WS("it", 0), WS("began", 0), WS("in", 0), NS("2019", 0), WS("then", 1),
      WS("it", 1), WS("grew", 1)}},
};

/* Print what the tokenizer gave, to make a failure readable. */
static void dump(const char *text, const opine_tokens *t)
{
    size_t i;

    print_error("got %zu tokens, %zu sentences:\n", t->n, t->nsentences);
    for (i = 0; i < t->n; i++) {
        const opine_token *k = &t->v[i];
        print_error("  [%u] %u+%u \"%.*s\" -> \"%s\" kind %d\n", k->sentence,
                    k->start, k->len, (int)k->len, text + k->start,
                    t->norm + k->norm, k->kind);
    }
}

/* Invariants that hold for every input; a failure fails the test. */
static void check_invariants(const char *text, size_t len,
                             const opine_tokens *t)
{
    size_t i, end = 0;
    uint32_t sentence = 0;

    for (i = 0; i < t->n; i++) {
        const opine_token *k = &t->v[i];
        assert_true(k->len > 0);
        assert_true((size_t)k->start + k->len <= len);
        assert_true(k->start >= end); /* increasing, non-overlapping */
        end = (size_t)k->start + k->len;
        assert_true((size_t)k->norm + k->norm_len < t->norm_len);
        assert_int_equal(strlen(t->norm + k->norm), k->norm_len);
        assert_true(k->norm_len > 0);
        assert_true(k->kind >= OPINE_TOKEN_WORD &&
                    k->kind <= OPINE_TOKEN_HASHTAG);
        if (i == 0)
            assert_int_equal(k->sentence, 0);
        else
            assert_true(k->sentence == sentence || k->sentence == sentence + 1);
        sentence = k->sentence;
    }
    if (t->n == 0)
        assert_int_equal(t->nsentences, 0);
    else
        assert_int_equal(t->nsentences, (size_t)sentence + 1);
    (void)text;
}

/* The cases' result; released by the teardown, which also runs after a
 * failed assertion has jumped out of run_case(). */
static opine_tokens case_tokens = OPINE_TOKENS_INIT;

static int release_case(void **state)
{
    (void)state;
    opine_tokens_release(&case_tokens);
    return 0;
}

static void run_case(void **state)
{
    const struct tcase *c = *state;
    size_t len = c->len ? c->len : strlen(c->text);
    opine_tokens t;
    size_t i, nexp = 0;

    assert_int_equal(opine_tokenize(c->text, len, &case_tokens), 0);
    t = case_tokens;
    check_invariants(c->text, len, &t);
    while (nexp < MAXTOK && c->tok[nexp].norm != NULL)
        nexp++;
    if (t.n != nexp) {
        dump(c->text, &t);
        fail_msg("expected %zu tokens", nexp);
    }
    for (i = 0; i < nexp; i++) {
        const struct exp *e = &c->tok[i];
        const opine_token *k = &t.v[i];
        const char *norm = t.norm + k->norm;
        int bad = strcmp(norm, e->norm) != 0 || k->kind != e->kind ||
                  (e->sentence >= 0 && k->sentence != (uint32_t)e->sentence) ||
                  (e->start >= 0 && k->start != (uint32_t)e->start) ||
                  (e->surf != NULL &&
                   (k->len != strlen(e->surf) ||
                    memcmp(c->text + k->start, e->surf, k->len) != 0));
        if (bad) {
            dump(c->text, &t);
            fail_msg("token %zu: expected \"%s\" kind %d sentence %d "
                     "surface \"%s\" at %d",
                     i, e->norm, e->kind, e->sentence, e->surf ? e->surf : "?",
                     e->start);
        }
    }
    if (c->nsentences >= 0 && t.nsentences != (size_t)c->nsentences) {
        dump(c->text, &t);
        fail_msg("expected %d sentences", c->nsentences);
    }
}

/* The same opine_tokens reused: the second result does not see the first. */
static void test_reuse(void **state)
{
    opine_tokens t = OPINE_TOKENS_INIT;
    const char *a = "Many, many words here. And a second sentence.";

    (void)state;
    assert_int_equal(opine_tokenize(a, strlen(a), &t), 0);
    assert_int_equal(t.n, 8);
    assert_int_equal(t.nsentences, 2);
    assert_int_equal(opine_tokenize("Solo", 4, &t), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.nsentences, 1);
    assert_string_equal(t.norm + t.v[0].norm, "solo");
    assert_int_equal(opine_tokenize("", 0, &t), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(t.nsentences, 0);
    opine_tokens_release(&t);
    assert_null(t.v);
    assert_null(t.norm);
    opine_tokens_release(&t); /* twice is fine */
    opine_tokens_release(NULL);
}

/* Lengths past uint32_t are refused before the text is read. */
static void test_too_big(void **state)
{
    opine_tokens t = OPINE_TOKENS_INIT;

    (void)state;
    if (sizeof(size_t) <= 4)
        skip();
    assert_int_equal(opine_tokenize("x", (size_t)UINT32_MAX + 1, &t),
                     OPINE_ETOOBIG);
    assert_int_equal(t.n, 0);
    opine_tokens_release(&t);
}

/* Long tokens and many of them: the buffers grow. */
static void test_growth(void **state)
{
    opine_tokens t = OPINE_TOKENS_INIT;
    size_t n = 20000, i, len = 0;
    char *s = malloc(n * 16 + 7000);

    (void)state;
    assert_non_null(s);
    for (i = 0; i < n; i++)
        len += (size_t)sprintf(s + len, i % 2 ? "Ünï%zu " : "w%zu. ", i);
    for (i = 0; i < 3000; i++) /* one long non-ASCII token */
        len += (size_t)sprintf(s + len, "É");
    assert_int_equal(opine_tokenize(s, len, &t), 0);
    check_invariants(s, len, &t);
    assert_int_equal(t.n, n + 1);
    assert_string_equal(t.norm + t.v[1].norm, "ünï1");
    assert_int_equal(t.v[n].norm_len, 6000);
    opine_tokens_release(&t);
    free(s);
}

/* xorshift64*: a fixed seed keeps failures reproducible. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Random mixtures of ASCII, UTF-8 fragments (whole and cut short) and stray
 * bytes: the tokenizer succeeds and the invariants hold. */
static void test_random_bytes(void **state)
{
    static const char *const frags[] = {
        "a",        "Z",  "7",  " ", "\n", ".",         ",",
        "'",        "-",  "\"", "!", "?",  "(",         ")",
        "’",        "“",  "”",  "…", "é",  "e\xcc\x81", "ß",
        "Ж",        "東", "ʼ",  "‐", "U.", "s",         "\xe2\x80\xa9",
        "\xc2\xa0", "½",  "@",  "#", "%",  "http://",   "www.",
        ".org",     "_",
    };
    const size_t nfrags = sizeof frags / sizeof frags[0];
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    opine_tokens t = OPINE_TOKENS_INIT;
    char buf[512];
    int round;

    (void)state;
    for (round = 0; round < 500; round++) {
        size_t len = 0, want = rng_next(&seed) % 200;
        while (len < want) {
            uint64_t r = rng_next(&seed);
            switch (r % 4) {
            case 0: { /* any byte */
                buf[len++] = (char)(r >> 8);
                break;
            }
            case 1: { /* a fragment cut at a random byte */
                const char *f = frags[(r >> 8) % nfrags];
                size_t fl = strlen(f), cut = (r >> 16) % (fl + 1);
                memcpy(buf + len, f, cut);
                len += cut;
                break;
            }
            default: { /* a whole fragment */
                const char *f = frags[(r >> 8) % nfrags];
                memcpy(buf + len, f, strlen(f));
                len += strlen(f);
                break;
            }
            }
        }
        /* An exact-size copy so ASan catches any read past the end. */
        {
            char *exact = malloc(len ? len : 1);
            assert_non_null(exact);
            memcpy(exact, buf, len);
            assert_int_equal(opine_tokenize(exact, len, &t), 0);
            check_invariants(exact, len, &t);
            free(exact);
        }
    }
    opine_tokens_release(&t);
}

int main(void)
{
    const size_t ntok = sizeof cases / sizeof cases[0];
    const size_t nsent = sizeof sentence_cases / sizeof sentence_cases[0];
    const size_t ncases = ntok + nsent;
    static const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_random_bytes),
    };
    const size_t nextra = sizeof extra / sizeof extra[0];
    struct CMUnitTest *tests = calloc(ncases + nextra, sizeof *tests);
    size_t i;
    int rc;

    if (tests == NULL)
        return 1;
    for (i = 0; i < ncases; i++) {
        const struct tcase *c =
            i < ntok ? &cases[i] : &sentence_cases[i - ntok];
        tests[i].name = c->name;
        tests[i].test_func = run_case;
        tests[i].teardown_func = release_case;
        tests[i].initial_state = (void *)c;
    }
    printf("tokenize: %zu token cases, %zu sentence-boundary cases\n", ntok,
           nsent);
    memcpy(tests + ncases, extra, sizeof extra);
    rc =
        _cmocka_run_group_tests("tokenize", tests, ncases + nextra, NULL, NULL);
    free(tests);
    return rc;
}
