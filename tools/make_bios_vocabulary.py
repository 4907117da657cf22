"""Write the bioS field vocabularies shipped in memcap/data/ (run once; the files are committed).

Every name, city, university and employer is invented here from syllables with a fixed seed, so the data
describe no real person or organisation and need no download. Majors are ordinary subject names.
Re-running this script reproduces the committed files byte for byte:

    python tools/make_bios_vocabulary.py
"""

from __future__ import annotations

import random
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "memcap" / "data"

ONSETS = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s",
          "sh", "st", "t", "th", "tr", "v", "w", "z"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "y"]
CODAS = ["", "", "", "l", "n", "r", "s", "m", "nd", "rt", "ck", "th", "x", "ll", "nn"]
CITY_SUFFIXES = ["ford", "ton", "ville", "burg", "mouth", "field", "haven", "port", "stead", "wick"]
UNIVERSITY_FORMS = ["University of {}", "{} University", "{} Institute of Technology", "{} College",
                    "{} State University", "Polytechnic of {}"]
EMPLOYER_FORMS = ["{} Systems", "{} Labs", "{} Foods", "{} Motors", "{} Energy", "{} Textiles", "{} Logistics",
                  "{} Pharmaceuticals", "{} Robotics", "{} Publishing", "{} Airlines", "{} Bank"]
MAJORS = """Accounting; Aerospace Engineering; African Studies; Agricultural Science; Anthropology;
Applied Mathematics; Archaeology; Architecture; Art History; Astronomy; Astrophysics; Biochemistry;
Bioengineering; Biology; Biomedical Engineering; Biophysics; Botany; Business Administration;
Chemical Engineering; Chemistry; Civil Engineering; Classics; Cognitive Science; Communications;
Comparative Literature; Computer Engineering; Computer Science; Construction Management; Creative Writing;
Criminology; Dance; Data Science; Dentistry; Drama; Earth Science; Ecology; Economics; Education;
Electrical Engineering; English Literature; Entomology; Environmental Science; Epidemiology; Film Studies;
Finance; Fine Arts; Food Science; Forestry; French; Genetics; Geography; Geology; German; Graphic Design;
Health Sciences; History; Hospitality Management; Industrial Design; Industrial Engineering;
Information Systems; International Relations; Journalism; Kinesiology; Linguistics; Management; Marine Biology;
Marketing; Materials Science; Mathematics; Mechanical Engineering; Media Studies; Microbiology; Music;
Music Theory; Neuroscience; Nuclear Engineering; Nursing; Nutrition; Oceanography; Petroleum Engineering;
Pharmacology; Philosophy; Photography; Physics; Physiology; Political Science; Psychology; Public Health;
Public Policy; Religious Studies; Robotics; Social Work; Sociology; Software Engineering; Spanish; Statistics;
Theology; Urban Planning; Veterinary Science; Zoology"""


def syllable(rng: random.Random) -> str:
    return rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)


def words(rng: random.Random, count: int, syllables: tuple[int, ...], taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < count:
        w = "".join(syllable(rng) for _ in range(rng.choice(syllables))).capitalize()
        if w not in taken and 4 <= len(w) <= 11:
            taken.add(w)
            out.append(w)
    return out


def main() -> None:
    rng = random.Random(20261123)
    taken: set[str] = set()
    first = words(rng, 400, (2,), taken)
    middle = words(rng, 400, (2,), taken)
    last = words(rng, 1000, (2, 3), taken)
    stems = words(rng, 200, (1, 2), taken)
    cities = [s + rng.choice(CITY_SUFFIXES) if rng.random() < 0.6 else s for s in stems]
    assert len(set(cities)) == len(cities)
    place_words = words(rng, 300, (2,), taken)
    universities = [rng.choice(UNIVERSITY_FORMS).format(w) for w in place_words]
    brand_words = words(rng, 263, (2,), taken)
    employers = [rng.choice(EMPLOYER_FORMS).format(w) for w in brand_words]
    headquarters = [rng.choice(cities) for _ in employers]
    majors = [m.strip() for m in MAJORS.replace("\n", " ").split(";")]
    assert len(majors) == 100 == len(set(majors)), len(majors)
    files = {
        "bios_first_names.txt": first,
        "bios_middle_names.txt": middle,
        "bios_last_names.txt": last,
        "bios_cities.txt": cities,
        "bios_universities.txt": universities,
        "bios_majors.txt": majors,
        "bios_employers.tsv": [f"{e}\t{c}" for e, c in zip(employers, headquarters)],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: {len(lines)} lines")


if __name__ == "__main__":
    main()
