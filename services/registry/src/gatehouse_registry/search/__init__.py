"""Operator search that finds what people type, inside PostgreSQL, at a million operators and
beyond.

What it forgives: a typo per word by the word's length (none up to 3 letters, one up to 8, two
beyond; a swapped pair of letters is one), any word order, legal forms and punctuation left out
or written differently, missing diacritics, and the last word only begun ("Nordic Imp"). It
recognises organisation, VAT and EORI numbers however typed. Hits are ranked identifier, same
name, every word as typed, every word within tolerance, fewer words (`ranking`).

The design, and why
-------------------
Search engines that forgive typos (Meilisearch, Typesense, Elasticsearch) keep a dictionary of
the words in their documents, expand each typed word into the dictionary words near it, and
intersect the inverted lists of those words. This does the same with PostgreSQL alone — no
second datastore to run, back up and keep in step:

- **Each operator's words** are stored on its row, folded and split by the same rules as what is
  typed (`words`): `organizations.search_words text[]` (name and town), with a GIN index together
  with the country (`btree_gin`), and `search_name` (the name's key) with a B-tree index for the
  same-name rank. The GIN index is the inverted index: `search_words && '{import,imports}'` reads
  the posting lists of two words, and the conditions of several words are intersected inside
  the index, with the country, before any row is read.
- **The dictionary** (`operator_words`: every distinct word and how many operators have it) is
  small — tens of thousands of words at a million operators, growing far slower than the
  register. A typed word is expanded through **deletion keys** (`operator_word_keys`, the
  SymSpell method, see `typos`): every word is stored with the strings left by deleting up to its
  tolerance of letters; the typed word's own deletions are looked up among them by B-tree, and
  the few candidates are checked exactly (optimal string alignment distance) in Python. One
  indexed look-up per query, whatever the size of the register, and nothing within tolerance is
  missed — unlike trigram similarity on the dictionary (the other well-known way), which cannot
  tell "nrod" from "nord" (one swap, no trigram in common) without a threshold so low that it
  reads most of the dictionary. Trigrams are still used for "Did you mean …", beyond the
  tolerance, where a miss costs nothing.
- **Prefixes** of the last word are a range of the dictionary's primary key (`"C"` collation),
  the commonest words first.
- **Ranking in buckets**, each a plain indexed condition (identifier; `search_name =`; all words'
  `&&`; the same with near words; any distinctive word). Buckets are read in order and each is
  cut at the rows the page needs inside PostgreSQL, so a broad query ("Handel") reads the first
  rows of an index in name order instead of sorting tens of thousands, while a precise query
  sorts its handful of hits by closeness (fewest edits, fewest other words). Later buckets are
  only read when earlier ones do not fill the page. The total is counted up to a cap.
- **Identifiers** are looked up by their compact stored value (`identifiers.value`), for every
  form the typed number may have been stored in (`query.identifier_candidates`).

Writing an operator adds its words to the dictionary in the same transaction (`service.
record_operator_words`); a word is never removed (a stale word costs one look-up).
"""
