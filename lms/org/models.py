from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.time import utcnow
from lms.extensions import db
from lms.org.data import GOLONGAN, GOLONGAN_PPPK, JENIS_JABATAN, JENIS_UNIT, STATUS_ASN


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UnitKerja(db.Model):
    __tablename__ = "unit_kerja"
    __table_args__ = (CheckConstraint(_in("jenis", JENIS_UNIT), name="jenis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kode: Mapped[str] = mapped_column(String(40), unique=True)
    nama: Mapped[str] = mapped_column(String(200))
    jenis: Mapped[str] = mapped_column(String(30))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit_kerja.id", ondelete="RESTRICT"), index=True
    )
    lokasi: Mapped[str | None] = mapped_column(String(200))
    # The unit's time zone (Asia/Jakarta WIB, Asia/Makassar WITA, Asia/Jayapura WIT);
    # empty: the agency's (LMS_TIMEZONE). Times are shown to its people in it.
    zona: Mapped[str | None] = mapped_column(String(40))
    # A closed unit keeps its rows and history; nobody new is placed in it.
    closed_at: Mapped[datetime | None]

    parent: Mapped[UnitKerja | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[UnitKerja]] = relationship(back_populates="parent")

    def __repr__(self) -> str:
        return f"<UnitKerja {self.kode}>"


class Jabatan(db.Model):
    __tablename__ = "jabatan"
    __table_args__ = (CheckConstraint(_in("jenis", JENIS_JABATAN), name="jenis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kode: Mapped[str] = mapped_column(String(40), unique=True)
    nama: Mapped[str] = mapped_column(String(200))
    jenis: Mapped[str] = mapped_column(String(20))

    @property
    def kategori(self) -> str:
        return JENIS_JABATAN[self.jenis][1]


class Pegawai(db.Model):
    __tablename__ = "pegawai"
    __table_args__ = (
        CheckConstraint(_in("status_asn", STATUS_ASN), name="status_asn"),
        CheckConstraint(f"golongan IS NULL OR {_in('golongan', GOLONGAN + GOLONGAN_PPPK)}", name="golongan"),
        CheckConstraint("length(nip) = 18", name="nip_length"),
        CheckConstraint("atasan_id IS NULL OR atasan_id <> id", name="not_own_atasan"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    nama: Mapped[str] = mapped_column(String(200))
    status_asn: Mapped[str] = mapped_column(String(4), default="PNS")
    golongan: Mapped[str | None] = mapped_column(String(5))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit_kerja.id", ondelete="RESTRICT"), index=True)
    jabatan_id: Mapped[int | None] = mapped_column(ForeignKey("jabatan.id", ondelete="SET NULL"), index=True)
    atasan_id: Mapped[int | None] = mapped_column(ForeignKey("pegawai.id", ondelete="SET NULL"), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    aktif: Mapped[bool] = mapped_column(default=True)
    # When the employee was deactivated (moved away, retired): their records stay.
    nonaktif_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[UnitKerja] = relationship()
    jabatan: Mapped[Jabatan | None] = relationship()
    atasan: Mapped[Pegawai | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Pegawai {self.nip}>"


class Instansi(db.Model):
    """The agency running the LMS: one row (id 1), shown on certificates and the public
    verification page. Empty fields fall back to the CERTIFICATE_ISSUER setting."""

    __tablename__ = "instansi"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    nama: Mapped[str] = mapped_column(String(200), default="")
    kota: Mapped[str] = mapped_column(String(100), default="")
    # The logo in storage (a PNG or JPEG, re-encoded small); None: no logo.
    logo_key: Mapped[str | None] = mapped_column(String(200))
    penandatangan_nama: Mapped[str] = mapped_column(String(200), default="")
    penandatangan_nip: Mapped[str] = mapped_column(String(18), default="")
    penandatangan_jabatan: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
