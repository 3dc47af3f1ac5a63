"""Operator search that finds what people type, inside PostgreSQL, at a million operators and
beyond.

What it forgives: a typo per word by the word's length (none up to 3 letters, one up to 8, two
beyond; a swapped pair of neighbours is one), any word order, legal forms and punctuation left
out or written differently, missing diacritics, and the last word only begun ("Nordic Imp"). It
recognises organisation, VAT and EORI numbers however typed. Hits are ranked identifier, same
words, every word as typed, every word within tolerance, more than half of the words (`ranking`);
"Did you mean …" corrects words beyond the tolerance (`suggestions`); the form that creates an
operator shows the close matches first (`service.close_matches`).

The design, and why
-------------------
Search engines that forgive typos (Meilisearch, Typesense, Elasticsearch) keep a dictionary of
the words in their documents, expand each typed word into the dictionary words near it, and
intersect the inverted lists of those words. This does the same in PostgreSQL alone — no second
datastore to run, back up and keep in step with the register:

- **Each operator's words** are stored on its row, folded and split by the same rules as what is
  typed (`words`): `organizations.search_words text[]` (the name's and the main address town's)
  with a GIN index together with the country (`btree_gin`); the name's words in order
  (`search_name`) and sorted (`search_name_sorted`, B-tree indexed: the same words in any
  order). The GIN index is the inverted index: `search_words && '{import,imports}'` reads the
  posting lists of two words, and the conditions of several words and the country are
  intersected inside the index before a row is read.
- **The dictionary** (`operator_words`: every distinct word and how many operators have it) is
  small — 62,000 words for the million generated operators of `make bench`, growing far slower
  than the register. A typed word is expanded through **deletion keys** (`operator_word_keys`,
  the SymSpell method, see `typos`): every word is stored with the strings left by deleting up
  to its tolerance of letters (650,000 keys there); the typed word's own deletions are looked up
  by B-tree and the few candidates checked exactly (Damerau–Levenshtein) in Python. One indexed
  look-up per search whatever the register's size, and nothing within tolerance is missed —
  unlike trigram similarity on the dictionary (the other well-known way), which cannot tell
  "nrod" from "nord" (one swap, no trigram in common) without a threshold so low that it reads
  most of the dictionary. Trigrams are used for "Did you mean …", beyond the tolerance, where a
  miss costs nothing.
- **Prefixes** of the last word are a range of the dictionary's primary key (`"C"` collation),
  the commonest words first.
- **Ranking in buckets**, each a plain indexed condition (`buckets`, `hits`): buckets are read
  group by group, only while the page is not full, and each is cut at the rows the page needs
  inside PostgreSQL. A precise bucket (a few hundred hits at most, by the words' counts) is
  sorted by closeness; a broad one ("Handel": 40,000 operators) is read in name order from an
  index, so it costs the rows shown, not the rows matched. The hits with every word are counted
  up to 100 the same way ("more than 100" beyond).
- **Statements compiled once per shape** (`hits.Compiled`): building and compiling a SQLAlchemy
  expression tree per search took more of the registry's time than PostgreSQL took to answer.
  The search runs in one transaction whose settings keep PostgreSQL on the indexes (`hits.
  PREFER_INDEXES` says why).
- **Few round trips.** Profiled, a search's fixed cost is its statements — the registry's time
  sits in each statement's socket write, PostgreSQL's in each statement's start — not the
  ranking in Python. So a search is BEGIN, the settings with the filters' codes checked
  (`queries.begin_search`), the dictionary look-up, a statement per group of buckets read, and
  COMMIT: the groups with every word are read up to 101 rows, which counts them (no count
  statement), and bring the page's addresses and activities with the page's rows (no details
  statement). With the session's read, 6.5 statements per search in `make bench`'s mix.
- **Identifiers** are looked up by their compact stored value (`identifiers.value`), in every
  form the typed number may have been stored in (`query.identifier_candidates`).

Creating an operator adds its words to the dictionary in the same transaction
(`service.record_operator_words`); a word is never removed (a stale word costs one look-up).
"""
