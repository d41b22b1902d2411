"""Fixed lists from the regulations, kept as data."""

from flask_babel import lazy_gettext as _l

GOLONGAN = (
    "I/a",
    "I/b",
    "I/c",
    "I/d",
    "II/a",
    "II/b",
    "II/c",
    "II/d",
    "III/a",
    "III/b",
    "III/c",
    "III/d",
    "IV/a",
    "IV/b",
    "IV/c",
    "IV/d",
    "IV/e",
)

# PPPK grades (Perpres 98/2020): golongan I to XVII, in Roman numerals.
GOLONGAN_PPPK = (
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX",
    "X", "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII",
)  # fmt: skip

STATUS_ASN = ("PNS", "PPPK")

# UU 20/2023: manajerial and nonmanajerial positions.
JENIS_JABATAN = {
    "jpt_utama": (_l("JPT utama"), "manajerial"),
    "jpt_madya": (_l("JPT madya"), "manajerial"),
    "jpt_pratama": (_l("JPT pratama"), "manajerial"),
    "administrator": (_l("Administrator"), "manajerial"),
    "pengawas": (_l("Pengawas"), "manajerial"),
    "fungsional": (_l("Fungsional"), "nonmanajerial"),
    "pelaksana": (_l("Pelaksana"), "nonmanajerial"),
}

JENIS_UNIT = {
    "instansi": _l("Agency"),
    "perangkat_daerah": _l("Regional government agency (OPD)"),
    "bidang": _l("Division"),
    "subbidang": _l("Sub-division"),
    "upt": _l("Technical unit (UPT)"),
    "kecamatan": _l("Sub-district office (kecamatan)"),
    "puskesmas": _l("Health centre"),
}
