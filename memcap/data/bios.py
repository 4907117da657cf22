"""bioS: synthetic biographies with the counts of Allen-Zhu & Li (Definition 4.3), and an offline tokenizer.

A person has a full name (first × middle × last = 400 × 400 × 1000 = N0 candidates, drawn without replacement),
a pronoun (2), a birth date (12 months × 28 days × 200 years), a birth city (200), a university (300), a major
(100) and an employer (263); the working city is the employer's headquarters, so it adds no bits. The field
vocabularies are package data written for this project (``tools/make_bios_vocabulary.py``): invented names,
places and firms, so the biographies describe no one.

A biography is six sentences, one per attribute, each from one of 50 templates (10 phrasings × 5 frames). The
first sentence names the person in full and opens with the name (a frame that puts words before the subject is
swapped for the plain one there), so the name's loss is conditioned on nothing but the start of the biography,
as Definition 4.3's name term assumes; the other sentences use the pronoun. ``bioS`` draws the templates and the
sentence order afresh at every exposure; ``bioS_simple`` fixes one biography per person.

Tokenizer: one token per word, number or punctuation mark (``WordTokenizer``), over a closed vocabulary built from
the templates and field files. We chose words over sub-words so that every attribute value is the same tokens in
every template (tested) and the name term of R(F) is exactly log2 N0 for a model that knows no names. The cost:
1,800 name words and 200 years make a large embedding table for a small model (see ``memcap.data.streams`` for how
its parameters are counted).

    >>> world = BioSWorld.load()
    >>> people = world.sample_people(3, np.random.default_rng(0))
    >>> bio = world.render(people[0], np.random.default_rng(1))
    >>> bio.text[bio.spans["name"][0]:bio.spans["name"][1]] == people[0].full_name
    True
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

import numpy as np

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
DAYS = 28
FIRST_YEAR, YEARS = 1900, 200
ATTRIBUTES = ("birth_date", "birth_city", "university", "major", "employer", "working_city")
EOT = "<eot>"

# Ten phrasings per attribute (the verb phrase before the value) ...
PHRASINGS = {
    "birth_date": ["was born on", "entered the world on", "arrived in the world on", "came into this world on",
                   "was born on the date of", "first saw the light of day on", "has a birth date of",
                   "has the birthday of", "was delivered on", "drew a first breath on"],
    "birth_city": ["was born in", "comes from", "hails from", "was born in the city of", "spent early childhood in",
                   "first lived in", "grew up in", "was raised in", "is a native of", "has roots in"],
    "university": ["studied at", "graduated from", "attended", "received an education at", "was a student at",
                   "completed a degree at", "earned a degree from", "enrolled at", "spent college years at",
                   "was educated at"],
    "major": ["majored in", "studied", "focused on", "specialized in", "concentrated on", "earned a degree in",
              "pursued", "chose to study", "completed coursework in", "took a degree in"],
    "employer": ["worked for", "was employed by", "held a job at", "had a career at", "was on the staff of",
                 "worked at", "joined", "served at", "took a position at", "was hired by"],
    "working_city": ["worked in", "was based in", "had an office in", "commuted to work in",
                     "spent working years in", "made a living in", "held a job in", "was employed in",
                     "had a career in", "worked out of"],
}
# ... times five frames around subject, phrasing and value: 50 templates per attribute.
FRAMES = ("{S} {p} {v}.", "It is known that {s} {p} {v}.", "{S} {p} {v}, as the records show.",
          "By all accounts, {s} {p} {v}.", "Notably, {s} {p} {v}.")
TEMPLATES = {a: tuple(f.replace("{p}", p) for p in PHRASINGS[a] for f in FRAMES) for a in ATTRIBUTES}
def template_words() -> list[str]:
    """Every template with its placeholders blanked: the words templates add to a vocabulary."""
    return [re.sub(r"\{[Ssv]\}", " ", t) for ts in TEMPLATES.values() for t in ts]


_TOKEN = re.compile(r"<eot>|[A-Za-z]+|\d+|[^\sA-Za-z\d]")


def _lines(name: str) -> list[str]:
    text = resources.files("memcap.data").joinpath("bios", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Person:
    """One person's attributes, as indices into the world's vocabularies."""

    first: int
    middle: int
    last: int
    female: bool
    month: int  # 0..11
    day: int  # 1..28
    year: int  # FIRST_YEAR .. FIRST_YEAR + YEARS - 1
    birth_city: int
    university: int
    major: int
    employer: int
    full_name: str = ""


@dataclass(frozen=True)
class Biography:
    """A rendered biography: its text and the character span (start, end) of every knowledge field.

    ``spans`` has ``name`` (the full name's first occurrence), ``pronoun`` (its first occurrence) and each
    attribute's value; ``order`` is the attribute order of the sentences.
    """

    text: str
    spans: dict[str, tuple[int, int]]
    order: tuple[str, ...]


class WordTokenizer:
    """One token per word, number or punctuation mark, over a closed vocabulary; ``<eot>`` is token 0.

        >>> tok = WordTokenizer(["Ada was born on March 3, 1950."])
        >>> tok.decode(tok.encode("Ada was born on March 3, 1950."))
        'Ada was born on March 3 , 1950 .'
    """

    def __init__(self, texts):
        words = set()
        for text in texts:
            words.update(_TOKEN.findall(text))
        words.discard(EOT)
        self.vocab = [EOT, *sorted(words)]
        self.index = {w: i for i, w in enumerate(self.vocab)}

    def __len__(self) -> int:
        return len(self.vocab)

    @property
    def eot(self) -> int:
        return 0

    def tokenize(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids and each token's character span in ``text``; an unknown word is an error naming it."""
        ids, offsets = [], []
        for m in _TOKEN.finditer(text):
            try:
                ids.append(self.index[m.group()])
            except KeyError:
                raise ValueError(f"word {m.group()!r} at character {m.start()} is not in the tokenizer's vocabulary") from None
            offsets.append(m.span())
        return ids, offsets

    def encode(self, text: str) -> list[int]:
        return self.tokenize(text)[0]

    def decode(self, ids) -> str:
        return " ".join(self.vocab[int(i)] for i in ids)


def token_span(offsets: list[tuple[int, int]], span: tuple[int, int]) -> tuple[int, int]:
    """The tokens [a, b) that exactly cover the characters ``span``; an error if a token straddles its edges.

        >>> token_span([(0, 3), (4, 7), (8, 9)], (4, 9))
        (1, 3)
    """
    start, end = span
    inside = [i for i, (s, e) in enumerate(offsets) if s < end and e > start]
    if not inside or offsets[inside[0]][0] != start or offsets[inside[-1]][1] != end:
        raise ValueError(f"characters {span} do not fall on token boundaries")
    return inside[0], inside[-1] + 1


class BioSWorld:
    """The field vocabularies, templates and tokenizer of bioS."""

    def __init__(self, first, middle, last, cities, universities, majors, employers, headquarters):
        self.first, self.middle, self.last = list(first), list(middle), list(last)
        self.cities, self.universities, self.majors = list(cities), list(universities), list(majors)
        self.employers, self.headquarters = list(employers), list(headquarters)
        if len(self.employers) != len(self.headquarters):
            raise ValueError("every employer needs exactly one headquarters city")

    @classmethod
    def load(cls) -> BioSWorld:
        """The shipped vocabularies (package data)."""
        rows = [line.split("\t") for line in _lines("bios_employers.tsv")]
        return cls(_lines("bios_first_names.txt"), _lines("bios_middle_names.txt"), _lines("bios_last_names.txt"),
                   _lines("bios_cities.txt"), _lines("bios_universities.txt"), _lines("bios_majors.txt"),
                   [r[0] for r in rows], [r[1] for r in rows])

    @property
    def n0(self) -> int:
        """Candidate full names."""
        return len(self.first) * len(self.middle) * len(self.last)

    def log2_s0(self) -> float:
        """Bits of attributes per person: log2(2 · 12·28·200 · cities · universities · majors · employers)."""
        return math.log2(2 * len(MONTHS) * DAYS * YEARS * len(self.cities) * len(self.universities)
                         * len(self.majors) * len(self.employers))

    @cached_property
    def tokenizer(self) -> WordTokenizer:
        pieces = [EOT, *self.first, *self.middle, *self.last, *self.cities, *self.universities, *self.majors,
                  *self.employers, *MONTHS, *(str(d) for d in range(1, DAYS + 1)),
                  *(str(FIRST_YEAR + y) for y in range(YEARS)), "He he She she"]
        pieces += template_words()
        return WordTokenizer(pieces)

    def sample_people(self, n: int, rng: np.random.Generator) -> list[Person]:
        """``n`` people with distinct full names (without replacement from N0) and uniform attributes."""
        codes, draws = self.draw_people(n, rng)
        return [self.person(code, d) for code, d in zip(codes.tolist(), draws)]

    def draw_people(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The random part of :meth:`sample_people` as arrays: name codes (n,) and attribute draws (n, 8): female,
        month, day, year - FIRST_YEAR, birth city, university, major, employer. All attributes in one call: numpy
        draws an array of bounded integers one after another exactly as scalar calls would, person by person."""
        if not 1 <= n <= self.n0:
            raise ValueError(f"n must lie in 1..N0={self.n0}, got n={n}")
        codes = rng.choice(self.n0, size=n, replace=False)
        low = np.array([0, 0, 1, 0, 0, 0, 0, 0])
        high = np.array([2, len(MONTHS), DAYS + 1, YEARS, len(self.cities), len(self.universities), len(self.majors),
                         len(self.employers)])
        draws = rng.integers(np.tile(low, n), np.tile(high, n)).reshape(n, len(low))
        return codes, draws

    def person(self, code: int, d) -> Person:
        """The person of name code ``code`` and attribute draws ``d`` (a row of :meth:`draw_people`)."""
        f, rest = divmod(int(code), len(self.middle) * len(self.last))
        m, la = divmod(rest, len(self.last))
        return Person(first=f, middle=m, last=la, female=bool(d[0]), month=int(d[1]), day=int(d[2]),
                      year=FIRST_YEAR + int(d[3]), birth_city=int(d[4]), university=int(d[5]), major=int(d[6]),
                      employer=int(d[7]), full_name=f"{self.first[f]} {self.middle[m]} {self.last[la]}")

    def values(self, p: Person) -> dict[str, str]:
        """Each attribute's value as it appears in text."""
        return {
            "birth_date": f"{MONTHS[p.month]} {p.day}, {p.year}",
            "birth_city": self.cities[p.birth_city],
            "university": self.universities[p.university],
            "major": self.majors[p.major],
            "employer": self.employers[p.employer],
            "working_city": self.headquarters[p.employer],
        }

    def render(self, p: Person, rng: np.random.Generator, templates: dict[str, int] | None = None,
               order: tuple[str, ...] | None = None) -> Biography:
        """One biography of ``p``; templates and sentence order drawn from ``rng`` unless given."""
        order = tuple(order) if order is not None else tuple(ATTRIBUTES[i] for i in rng.permutation(len(ATTRIBUTES)))
        values = self.values(p)
        pron = "She" if p.female else "He"
        sentences, spans, pos = [], {}, 0
        for k, attr in enumerate(order):
            index = templates[attr] if templates else int(rng.integers(len(TEMPLATES[attr])))
            if k == 0 and not TEMPLATES[attr][index].startswith("{S}"):
                index -= index % len(FRAMES)  # the same phrasing in the first frame: the biography opens with the name
            t = TEMPLATES[attr][index]
            subject = (p.full_name, p.full_name) if k == 0 else (pron, pron.lower())
            text = ""
            for piece in re.split(r"(\{S\}|\{s\}|\{v\})", t):
                key = {"{S}": "name" if k == 0 else "pronoun", "{s}": "name" if k == 0 else "pronoun", "{v}": attr}.get(piece)
                value = {"{S}": subject[0], "{s}": subject[1], "{v}": values[attr]}.get(piece, piece)
                start = pos + len(text)
                if key is not None and key not in spans:
                    spans[key] = (start, start + len(value))
                text += value
            sentences.append(text)
            pos += len(text) + 1
        return Biography(text=" ".join(sentences), spans=spans, order=order)

    def fixed_templates(self, rng: np.random.Generator) -> tuple[dict[str, int], tuple[str, ...]]:
        """One template per attribute and one order: what bioS_simple keeps per person."""
        return ({a: int(rng.integers(len(TEMPLATES[a]))) for a in ATTRIBUTES},
                tuple(ATTRIBUTES[i] for i in rng.permutation(len(ATTRIBUTES))))
