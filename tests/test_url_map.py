"""Every route in the URL map against every kind of visitor.

``TABLE`` says, for each endpoint of ``app.url_map``, which status each of the seven
roles gets. A GET route is asked with GET; a POST route with POST, a valid CSRF token and
minimal form data; a route that takes both is asked both ways (its ``[post]`` row). An
endpoint may have more rows, one per kind of data (``progress.course[draft]``).
``test_every_route_has_an_entry`` fails when the application has an endpoint the table
does not name, so a new route cannot ship without an access decision.

The data is built once per role (building it for each of the 511 requests took over
two minutes); ``test_each_route_answers_the_role_as_the_table_says`` then signs in as
that role, asks every row, and fails once with the list of every mismatch. Reads go
first (a GET never writes); the writes that change what other rows see run last.
Statuses are what the rules say, not what the code happens to do.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.catalog.models import KursusPemilik, ModulDraf
from lms.certificates.models import Sertifikat
from lms.certificates.services import display_code
from lms.competencies import services as competencies
from lms.core.time import local_today
from lms.extensions import db
from lms.notifications.models import Pengingat
from lms.org.models import Jabatan, UnitKerja
from lms.progress.models import AturanWajib, Pengembangan
from lms.quizzes.models import Soal
from tests.conftest import NIPS, WRONG_ANSWERS, answer_form

# --- who asks ---------------------------------------------------------------------------

# learner: the owner of every record below; other: another learner with the same atasan;
# supervisor: the learner's atasan; other_supervisor: the atasan of someone outside the
# learner's team; trainer: is_pengajar; admin: is_admin, supervises nobody.
ROLES = ("anonymous", "learner", "other", "supervisor", "other_supervisor", "trainer", "admin")
OTHER_TEAM_NIPS = {"other_supervisor": "198607142010011004", "staff": "199405202019022005"}
ROLE_NIPS = {**NIPS, "other_supervisor": OTHER_TEAM_NIPS["other_supervisor"]}
UNKNOWN_NIP = "199001012015031999"
UNKNOWN_CERTIFICATE = "0000-0000-0000"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
LEARNER_NAME = "Peserta Uji"

# --- what each gets ---------------------------------------------------------------------

# One row per request. {placeholders} in the path are filled from the ``world`` fixture.
# Columns: anon = anonymous, lrn = learner, oth = other, sup = supervisor,
# osup = other_supervisor, trn = trainer, adm = admin.
TABLE = """
case                                method path                                            anon lrn oth sup osup trn adm

# public
core.healthz                        GET  /healthz                                          200 200 200 200 200 200 200
core.set_language                   POST /bahasa                                           302 302 302 302 302 302 302
static                              GET  /static/app.css                                   200 200 200 200 200 200 200
certificates.verify_form            GET  /verifikasi                                       200 200 200 200 200 200 200
certificates.verify                 GET  /verifikasi/{certificate}                         200 200 200 200 200 200 200
certificates.verify[unknown]        GET  /verifikasi/{unknown_certificate}                 404 404 404 404 404 404 404

# accounts
accounts.login                      GET  /masuk                                            200 302 302 302 302 302 302
accounts.login[post]                POST /masuk                                            400 302 302 302 302 302 302
accounts.logout                     POST /keluar                                           302 302 302 302 302 302 302
accounts.logout_everywhere          POST /akun/keluar-semua                                302 302 302 302 302 302 302
accounts.account                    GET  /akun                                             302 200 200 200 200 200 200
accounts.account[post]              POST /akun                                             302 400 400 400 400 400 400

# the learner's pages; the learner is enrolled in {course}, nobody else is
progress.home                       GET  /                                                 302 200 200 200 200 200 200
progress.catalogue                  GET  /katalog                                          302 200 200 200 200 200 200
progress.course                     GET  /kursus/{course}                                  302 200 200 200 200 200 200
progress.course[draft]              GET  /kursus/{draft}                                   302 404 404 404 404 200 200
progress.enrol                      POST /kursus/{course}/daftar                           302 302 302 302 302 302 302
progress.enrol[draft]               POST /kursus/{draft}/daftar                            302 404 404 404 404 400 400
progress.module                     GET  /kursus/{course}/modul/{module}                   302 200 302 302 302 302 302
progress.module[draft]              GET  /kursus/{draft}/modul/{module}                    302 404 404 404 404 302 302
progress.module[unknown]            GET  /kursus/{course}/modul/tidak-ada                  302 404 302 302 302 302 302
progress.complete_module            POST /kursus/{course}/modul/{module}/selesai           302 302 302 302 302 302 302
progress.complete_module[draft]     POST /kursus/{draft}/modul/{module}/selesai            302 404 404 404 404 302 302
progress.quiz                       GET  /kursus/{course}/kuis                             302 200 302 302 302 302 302
progress.quiz[draft]                GET  /kursus/{draft}/kuis                              302 404 404 404 404 302 302
progress.start_quiz                 POST /kursus/{course}/kuis/mulai                       302 302 302 302 302 302 302
progress.start_quiz[draft]          POST /kursus/{draft}/kuis/mulai                        302 404 404 404 404 302 302
progress.attempt                    GET  /percobaan/{open_attempt}                         302 200 404 404 404 404 404
progress.attempt[submitted]         GET  /percobaan/{submitted_attempt}                    302 302 404 404 404 404 404
progress.autosave                   POST /percobaan/{open_attempt}/jawaban                 302 200 404 404 404 404 404
progress.submit                     POST /percobaan/{open_attempt}                         302 200 404 404 404 404 404
progress.submit[submitted]          POST /percobaan/{submitted_attempt}                    302 302 404 404 404 404 404
progress.result                     GET  /percobaan/{submitted_attempt}/hasil              302 200 404 404 404 404 404
progress.result[open]               GET  /percobaan/{open_attempt}/hasil                   302 302 404 404 404 404 404
progress.attempt[unknown]           GET  /percobaan/{unknown_id}                           302 404 404 404 404 404 404
catalog.media                       GET  /media/{media}                                    302 200 200 200 200 200 200
catalog.media[draft]                GET  /media/{draft_media}                              302 404 404 404 404 200 200

# the offline client: the learner is enrolled in {course} and has used both its attempts
api.service_worker                  GET  /sw.js                                            200 200 200 200 200 200 200
api.manifest                        GET  /manifest.webmanifest                             200 200 200 200 200 200 200
api.course_package                  GET  /kursus/{course}/luring.json                      302 200 403 403 403 403 403
api.course_package[draft]           GET  /kursus/{draft}/luring.json                       302 404 404 404 404 403 403
api.course_package[unknown]         GET  /kursus/tidak-ada/luring.json                     302 404 404 404 404 404 404
api.offline_quiz                    GET  /kursus/{course}/kuis/luring                      302 409 403 403 403 403 403
api.offline_quiz[draft]             GET  /kursus/{draft}/kuis/luring                       302 404 404 404 404 403 403
api.receive                         POST /luring/sinkron                                   302 200 200 200 200 200 200
api.sync_page                       GET  /luring                                           302 200 200 200 200 200 200
api.upload                          POST /luring                                           302 400 400 400 400 400 400
api.offline_fallback                GET  /luring/tanpa-jaringan                            302 200 200 200 200 200 200
accounts.save_data                  POST /akun/hemat-data                                  302 302 302 302 302 302 302

# certificates: the learner has one, {certificate}
certificates.pdf                    GET  /sertifikat/{certificate}.pdf                     302 200 404 200 404 404 200
certificates.pdf[unknown]           GET  /sertifikat/{unknown_certificate}.pdf             302 404 404 404 404 404 404
certificates.admin_list             GET  /admin/sertifikat                                 302 403 403 403 403 403 200
certificates.revoke                 POST /admin/sertifikat/{certificate}/cabut             302 403 403 403 403 403 302
certificates.restore                POST /admin/sertifikat/{certificate}/pulihkan          302 403 403 403 403 403 302

# competencies, standards, assessments
competencies.dictionary             GET  /kompetensi                                       302 200 200 200 200 200 200
competencies.entry                  GET  /kompetensi/{competency}                          302 200 200 200 200 200 200
competencies.standards              GET  /admin/standar                                    302 403 403 403 403 403 200
competencies.edit_standard          GET  /admin/standar/{jabatan}                          302 403 403 403 403 403 200
competencies.edit_standard[post]    POST /admin/standar/{jabatan}                          302 403 403 403 403 403 302
competencies.assessment             GET  /admin/asesmen/{nip}                              302 403 403 403 403 403 200
competencies.assessment[post]       POST /admin/asesmen/{nip}                              302 403 403 403 403 403 400
competencies.delete_assessment      POST /admin/asesmen/{nip}/{assessment}/hapus           302 403 403 403 403 403 302

# development records: {record} is pending with a certificate number, {evidence_record}
# pending with a PDF
competencies.developments           GET  /pengembangan                                     302 200 200 200 200 200 200
competencies.developments[post]     POST /pengembangan                                     302 400 400 400 400 400 400
competencies.evidence_file          GET  /pengembangan/{evidence_record}/bukti             302 200 404 200 404 404 200
competencies.evidence_file[no_file] GET  /pengembangan/{record}/bukti                      302 404 404 404 404 404 404
competencies.withdraw               POST /pengembangan/{record}/hapus                      302 302 404 404 404 404 404
competencies.to_verify              GET  /pengembangan/verifikasi                          302 403 403 200 200 403 200
competencies.evidence_file[unknown] GET  /pengembangan/{unknown_id}/bukti                  302 404 404 404 404 404 404
competencies.decide                 POST /pengembangan/{record}/verifikasi                 302 403 404 302 404 404 302
competencies.decide[unknown]        POST /pengembangan/{unknown_id}/verifikasi             302 404 404 404 404 404 404

# reports
reports.my_profile                  GET  /profil                                           302 200 200 200 200 200 200
reports.profile                     GET  /profil/{nip}                                     302 200 403 200 403 403 200
reports.profile[unknown]            GET  /profil/{unknown_nip}                             302 403 403 403 403 403 404
reports.team                        GET  /tim                                              302 403 403 200 200 403 200
reports.team_export                 GET  /tim/ekspor.csv                                   302 403 403 200 200 403 200
reports.team_export[xlsx]           GET  /tim/ekspor.xlsx                                  302 403 403 200 200 403 200
reports.team_export[pdf]            GET  /tim/ekspor.pdf                                   302 404 404 404 404 404 404
reports.assign                      POST /tim/tugaskan                                     302 403 403 302 302 403 302
reports.assign[learner]             POST /tim/tugaskan                                     302 403 403 302 403 403 302
reports.monitoring                  GET  /monev                                            302 403 403 403 403 403 200
reports.monitoring_export           GET  /monev/ekspor.csv                                 302 403 403 403 403 403 200
reports.monitoring_export[xlsx]     GET  /monev/ekspor.xlsx                                302 403 403 403 403 403 200
reports.monitoring_export[pdf]      GET  /monev/ekspor.pdf                                 302 403 403 403 403 403 404
reports.admin_home                  GET  /admin                                            302 403 403 403 403 403 200
# the trainer's editor: the trainer owns {course} and {draft}, not {done}; admins edit all
reports.trainer_courses             GET  /ampu                                             302 403 403 403 403 200 200
authoring.new_course                GET  /ampu/baru                                        302 403 403 403 403 200 200
authoring.new_course[post]          POST /ampu/baru                                        302 403 403 403 403 400 400
authoring.import_package            GET  /ampu/impor                                       302 403 403 403 403 200 200
authoring.import_package[post]      POST /ampu/impor                                       302 403 403 403 403 400 400
authoring.course                    GET  /ampu/{course}                                    302 403 403 403 403 200 200
authoring.course[not_owned]         GET  /ampu/{done}                                      302 403 403 403 403 403 200
authoring.course[unknown]           GET  /ampu/tidak-ada                                   302 403 403 403 403 404 404
authoring.save_details              POST /ampu/{course}                                    302 403 403 403 403 400 400
authoring.save_details[not_owned]   POST /ampu/{done}                                      302 403 403 403 403 403 400
authoring.add_module                POST /ampu/{course}/modul                              302 403 403 403 403 400 400
authoring.module                    GET  /ampu/{course}/modul/{draft_module}               302 403 403 403 403 200 200
authoring.module[other_course]      GET  /ampu/{draft}/modul/{draft_module}                302 403 403 403 403 404 404
authoring.save_module               POST /ampu/{course}/modul/{draft_module}               302 403 403 403 403 400 400
authoring.move_module               POST /ampu/{course}/modul/{draft_module}/pindah        302 403 403 403 403 302 302
authoring.remove_module             POST /ampu/{course}/modul/{draft_module}/hapus         302 403 403 403 403 302 302
authoring.render_preview            POST /ampu/{course}/pratinjau-teks                     302 403 403 403 403 200 200
authoring.upload                    POST /ampu/{course}/berkas                             302 403 403 403 403 302 302
authoring.remove_media              POST /ampu/{course}/berkas/gambar.svg/hapus            302 403 403 403 403 302 302
authoring.add_owner                 POST /ampu/{course}/pemilik                            302 403 403 403 403 400 400
authoring.remove_owner              POST /ampu/{course}/pemilik/{trainer_id}/hapus         302 403 403 403 403 302 302
authoring.publish                   POST /ampu/{course}/terbitkan                          302 403 403 403 403 302 302
authoring.publish[not_owned]        POST /ampu/{done}/terbitkan                            302 403 403 403 403 403 302
authoring.withdraw                  POST /ampu/{draft}/tarik                               302 403 403 403 403 302 302
authoring.preview                   GET  /ampu/{course}/pratinjau                          302 403 403 403 403 200 200
authoring.preview_module            GET  /ampu/{course}/pratinjau/modul/{module}           302 403 403 403 403 200 200
authoring.preview_attempt           GET  /ampu/{course}/pratinjau/kuis                     302 403 403 403 403 200 200
authoring.preview_attempt[post]     POST /ampu/{course}/pratinjau/kuis                     302 403 403 403 403 200 200
authoring.preview_attempt[no_quiz]  GET  /ampu/{done}/pratinjau/kuis                       302 403 403 403 403 403 404
authoring.export_package            GET  /ampu/{course}/paket.zip                          302 403 403 403 403 200 200
authoring.export_package[not_owned] GET  /ampu/{done}/paket.zip                            302 403 403 403 403 403 200
authoring.bank                      GET  /ampu/{course}/soal                               302 403 403 403 403 200 200
authoring.new_question              GET  /ampu/{course}/soal/baru?jenis=single             302 403 403 403 403 200 200
authoring.new_question[post]        POST /ampu/{course}/soal/baru?jenis=single             302 403 403 403 403 400 400
authoring.edit_question             GET  /ampu/{course}/soal/{soal}                        302 403 403 403 403 200 200
authoring.edit_question[post]       POST /ampu/{course}/soal/{soal}                        302 403 403 403 403 409 409
authoring.edit_question[other]      GET  /ampu/{draft}/soal/{soal}                         302 403 403 403 403 404 404
authoring.move_question             POST /ampu/{course}/soal/{soal}/pindah                 302 403 403 403 403 400 400
authoring.delete_question           POST /ampu/{course}/soal/{soal}/hapus                  302 403 403 403 403 302 302
authoring.import_questions          GET  /ampu/{course}/soal/impor                         302 403 403 403 403 200 200
authoring.import_questions[post]    POST /ampu/{course}/soal/impor                         302 403 403 403 403 400 400
authoring.export_gift               GET  /ampu/{course}/soal.gift                          302 403 403 403 403 200 200
authoring.quiz                      GET  /ampu/{course}/kuis                               302 403 403 403 403 200 200
authoring.quiz[post]                POST /ampu/{course}/kuis                               302 403 403 403 403 400 400
reports.course_results              GET  /ampu/{course}/hasil                              302 403 403 403 403 200 200
reports.course_results[not_owned]   GET  /ampu/{done}/hasil                                302 403 403 403 403 403 200
reports.course_results_xlsx         GET  /ampu/{course}/hasil.xlsx                         302 403 403 403 403 200 200
reports.item_analysis               GET  /ampu/{course}/analisis                           302 403 403 403 403 200 200
reports.item_analysis[not_owned]    GET  /ampu/{done}/analisis                             302 403 403 403 403 403 200

# an agency goes live: organisation, import, accounts, rules, reminders, audit, history
org.units                           GET  /admin/unit                                       302 403 403 403 403 403 200
org.units[closed]                   GET  /admin/unit?tutup=1                               302 403 403 403 403 403 200
org.new_unit                        GET  /admin/unit/baru                                  302 403 403 403 403 403 200
org.new_unit[post]                  POST /admin/unit/baru                                  302 403 403 403 403 403 400
org.unit                            GET  /admin/unit/{unit}                                302 403 403 403 403 403 200
org.unit[post]                      POST /admin/unit/{unit}                                302 403 403 403 403 403 400
org.unit[unknown]                   GET  /admin/unit/999999                                302 403 403 403 403 403 404
org.move_unit                       POST /admin/unit/{unit}/pindah                         302 403 403 403 403 403 302
org.close_unit                      POST /admin/unit/{unit}/tutup                          302 403 403 403 403 403 302
org.reopen_unit                     POST /admin/unit/{unit}/buka                           302 403 403 403 403 403 302
org.jabatan_list                    GET  /admin/jabatan                                    302 403 403 403 403 403 200
org.new_jabatan                     GET  /admin/jabatan/baru                               302 403 403 403 403 403 200
org.new_jabatan[post]               POST /admin/jabatan/baru                               302 403 403 403 403 403 400
org.edit_jabatan                    GET  /admin/jabatan/{jabatan}                          302 403 403 403 403 403 200
org.edit_jabatan[post]              POST /admin/jabatan/{jabatan}                          302 403 403 403 403 403 400
org.edit_jabatan[unknown]           GET  /admin/jabatan/999999                             302 403 403 403 403 403 404
org.employees                       GET  /admin/pegawai                                    302 403 403 403 403 403 200
org.new_employee                    GET  /admin/pegawai/baru                               302 403 403 403 403 403 200
org.new_employee[post]              POST /admin/pegawai/baru                               302 403 403 403 403 403 400
org.employee                        GET  /admin/pegawai/{nip}                              302 403 403 403 403 403 200
org.employee[post]                  POST /admin/pegawai/{nip}                              302 403 403 403 403 403 400
org.employee[unknown]               GET  /admin/pegawai/{unknown_nip}                      302 403 403 403 403 403 404
org.deactivate_employee             POST /admin/pegawai/{nip}/nonaktifkan                  302 403 403 403 403 403 302
org.deactivate_employee[unknown]    POST /admin/pegawai/{unknown_nip}/nonaktifkan          302 403 403 403 403 403 404
org.reactivate_employee             POST /admin/pegawai/{nip}/aktifkan                     302 403 403 403 403 403 302
accounts.set_roles                  POST /admin/pegawai/{nip}/peran                        302 403 403 403 403 403 302
accounts.set_roles[unknown]         POST /admin/pegawai/{unknown_nip}/peran                302 403 403 403 403 403 404
org.import_page                     GET  /admin/impor                                      302 403 403 403 403 403 200
org.import_page[post]               POST /admin/impor                                      302 403 403 403 403 403 400
org.import_confirm                  POST /admin/impor/{unknown_id}                         302 403 403 403 403 403 404
org.import_template                 GET  /admin/impor/templat/pegawai.xlsx                 302 403 403 403 403 403 200
org.import_template[csv]            GET  /admin/impor/templat/unit.csv                     302 403 403 403 403 403 200
org.import_template[pdf]            GET  /admin/impor/templat/unit.pdf                     302 403 403 403 403 403 404
accounts.activate                   GET  /aktivasi                                         200 302 302 302 302 302 302
accounts.activate[post]             POST /aktivasi                                         400 302 302 302 302 302 302
accounts.issue_codes                GET  /admin/aktivasi                                   302 403 403 403 403 403 200
accounts.issue_codes[post]          POST /admin/aktivasi                                   302 403 403 403 403 403 400
accounts.download_codes             POST /admin/aktivasi/unduh                             302 403 403 403 403 403 400
accounts.reset_code                 POST /admin/pegawai/{nip}/kode-reset                   302 403 403 403 403 403 200
accounts.reset_code[unknown]        POST /admin/pegawai/{unknown_nip}/kode-reset           302 403 403 403 403 403 404
rules.index                         GET  /admin/aturan-wajib/                              302 403 403 403 403 403 200
rules.new                           GET  /admin/aturan-wajib/baru                          302 403 403 403 403 403 200
rules.new[post]                     POST /admin/aturan-wajib/baru                          302 403 403 403 403 403 400
rules.edit                          GET  /admin/aturan-wajib/{rule}                        302 403 403 403 403 403 200
rules.edit[post]                    POST /admin/aturan-wajib/{rule}                        302 403 403 403 403 403 400
rules.edit[unknown]                 GET  /admin/aturan-wajib/999999                        302 403 403 403 403 403 404
rules.deactivate                    POST /admin/aturan-wajib/{rule}/nonaktifkan            302 403 403 403 403 403 302
rules.reactivate                    POST /admin/aturan-wajib/{rule}/aktifkan               302 403 403 403 403 403 302
notifications.index                 GET  /pengingat                                        302 200 200 200 200 200 200
notifications.mark_read             POST /pengingat/{reminder}/dibaca                      302 404 404 302 404 404 404
notifications.mark_read[unknown]    POST /pengingat/{unknown_id}/dibaca                    302 404 404 404 404 404 404
notifications.mark_all_read         POST /pengingat/semua-dibaca                           302 302 302 302 302 302 302
reports.audit_log                   GET  /admin/audit                                      302 403 403 403 403 403 200
reports.audit_export                GET  /admin/audit.csv                                  302 403 403 403 403 403 200
reports.audit_export[xlsx]          GET  /admin/audit.xlsx                                 302 403 403 403 403 403 200
reports.audit_export[pdf]           GET  /admin/audit.pdf                                  302 403 403 403 403 403 404
org.agency_settings                 GET  /admin/instansi                                   302 403 403 403 403 403 200
org.save_agency                     POST /admin/instansi                                   302 403 403 403 403 403 400
org.upload_logo                     POST /admin/instansi/logo                              302 403 403 403 403 403 400
org.remove_logo                     POST /admin/instansi/logo/hapus                        302 403 403 403 403 403 302
org.agency_logo                     GET  /admin/instansi/logo                              302 403 403 403 403 403 404
reports.history_page                GET  /admin/riwayat-diklat                              302 403 403 403 403 403 200
reports.history_export              GET  /admin/riwayat-diklat.csv                          302 403 403 403 403 403 200
reports.history_export[xlsx]        GET  /admin/riwayat-diklat.xlsx                         302 403 403 403 403 403 200
reports.history_export[pdf]         GET  /admin/riwayat-diklat.pdf                          302 403 403 403 403 403 404
"""

# Form fields (or a JSON body) for the rows that need more than the CSRF token.
FORMS = {
    "reports.assign[learner]": {"tugas_kursus": "{course_id}", "pegawai": "{learner_id}"},
}
JSON_BODIES = {
    "progress.autosave": {"question": "q4", "answer": "JP"},
    "api.receive": {"items": []},
}


@dataclass(frozen=True)
class Row:
    case: str
    method: str
    path: str
    expected: dict[str, int]

    @property
    def endpoint(self) -> str:
        return self.case.split("[", 1)[0]


def _parse(table: str) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    lines = [line.split() for line in table.strip().splitlines()]
    header, body = lines[0], [cells for cells in lines[1:] if cells and not cells[0].startswith("#")]
    assert len(header) == 3 + len(ROLES), header
    for cells in body:
        case, method, path, *statuses = cells
        assert len(statuses) == len(ROLES), f"{case}: {len(statuses)} statuses for {len(ROLES)} roles"
        assert method in ("GET", "POST"), f"{case}: {method}"
        assert case not in rows, f"{case} is in the table twice"
        rows[case] = Row(case, method, path, dict(zip(ROLES, map(int, statuses), strict=True)))
    return rows


ROWS = _parse(TABLE)


# --- the data every URL parameter points at -----------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def other_team(make_user):
    """A supervisor of someone outside the learner's team, and that someone."""
    boss = make_user(OTHER_TEAM_NIPS["other_supervisor"], "Atasan Lain")
    return {"other_supervisor": boss, "staff": make_user(OTHER_TEAM_NIPS["staff"], "Staf Lain", atasan=boss)}


def _development_form(**changes) -> dict:
    ended = local_today() - timedelta(days=3)
    return {
        "jenis": "pelatihan",
        "judul": "Pelatihan Obat milik Peserta",
        "penyelenggara": "Bapelkes Kupang",
        "tanggal_mulai": (ended - timedelta(days=2)).isoformat(),
        "tanggal_selesai": ended.isoformat(),
        "jp": "24",
        "nomor_sertifikat": "",
        "kompetensi_code": "",
        "kompetensi_level": "",
        **changes,
    }


def _ok(response, *statuses: int):
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True)[:500])
    return response


def _attempt_id(response) -> str:
    return _ok(response, 302).headers["Location"].rsplit("/", 1)[-1]


@pytest.fixture
def world(client, auth, users, other_team, make_course, complete_course):
    """A published course with its quiz (the learner enrolled, one attempt submitted and one
    open), a draft course, a course the learner completed (with its certificate), two
    pending development records of the learner (one with a PDF), and an assessment of
    the learner recorded by the admin. Nobody is signed in afterwards."""
    course = make_course("kursus-uji")
    draft = make_course("kursus-draf", status="draft")
    done = make_course("kursus-selesai", quiz=False)

    _ok(auth.login(NIPS["learner"]), 302)
    _ok(auth.post("/kursus/kursus-uji/daftar"), 302)
    submitted = _attempt_id(auth.post("/kursus/kursus-uji/kuis/mulai"))
    _ok(auth.post(f"/percobaan/{submitted}", answer_form(submitted, WRONG_ANSWERS, action="submit")), 302)
    open_attempt = _attempt_id(auth.post("/kursus/kursus-uji/kuis/mulai"))
    assert open_attempt != submitted
    _ok(auth.post("/pengembangan", _development_form(nomor_sertifikat="445/BPSDM/2024")), 302)
    form = _development_form(judul="Seminar Farmasi milik Peserta", bukti=(io.BytesIO(PDF), "sertifikat.pdf"))
    _ok(auth.post("/pengembangan", form, content_type="multipart/form-data"), 302)
    _ok(auth.logout(), 302)

    learner = users["learner"]
    complete_course(learner, done)
    assessment = competencies.record_assessment(
        learner.pegawai_id, "M.01", 3, local_today(), users["admin"].pegawai_id, "Uji kompetensi"
    )
    db.session.commit()
    trainer = users["trainer"]
    db.session.add_all(
        [KursusPemilik(kursus_id=k.id, pegawai_id=trainer.pegawai_id) for k in (course, draft)]
    )
    db.session.commit()
    records = db.session.scalars(select(Pengembangan).where(Pengembangan.pegawai_id == learner.pegawai_id))
    by_file = {bool(r.file_key): r for r in records}
    certificate = db.session.scalar(select(Sertifikat).where(Sertifikat.pegawai_id == learner.pegawai_id))
    # A rule for a position nobody in the world holds: it enrols nobody, so it changes no
    # other row (the service refuses such a rule; it is written directly).
    rule = AturanWajib(
        nama="Wajib uji",
        kursus_id=course.id,
        jabatan_id=db.session.scalar(select(Jabatan.id).where(Jabatan.kode == "APT")),
        due_kind="fixed",
        due_date=local_today() + timedelta(days=30),
    )
    db.session.add(rule)
    db.session.commit()
    return {
        "course": course.slug,
        "course_id": course.id,
        "draft": draft.slug,
        "done": done.slug,
        "trainer_id": trainer.pegawai_id,
        "draft_module": db.session.scalar(
            select(ModulDraf.id).where(ModulDraf.kursus_id == course.id, ModulDraf.slug == "pembuka")
        ),
        "soal": db.session.scalar(select(Soal.id).where(Soal.kursus_id == course.id, Soal.key == "q1")),
        "module": course.moduls[0].slug,
        "media": course.media["gambar.svg"],
        "draft_media": draft.media["gambar.svg"],
        "open_attempt": open_attempt,
        "submitted_attempt": submitted,
        "record": by_file[False].id,
        "evidence_record": by_file[True].id,
        "certificate": certificate.code,
        "certificate_shown": display_code(certificate.code),
        "unknown_certificate": UNKNOWN_CERTIFICATE,
        "assessment": assessment.id,
        "jabatan": db.session.scalar(select(Jabatan.id).where(Jabatan.kode == "APT")),
        "nip": NIPS["learner"],
        "learner_id": learner.pegawai_id,
        "unknown_nip": UNKNOWN_NIP,
        "unknown_id": UNKNOWN_ID,
        "competency": "M.01",
        "unit": db.session.scalar(select(UnitKerja.id).where(UnitKerja.kode == "UPT-X")),
        "rule": rule.id,
        "reminder": db.session.scalar(
            select(Pengingat.id)
            .where(Pengingat.pegawai_id == users["supervisor"].pegawai_id, Pengingat.kind == "to_verify")
            .limit(1)
        ),
    }


def _signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def sign_in(auth, role: str) -> None:
    """Sign in as ``role`` unless already signed in (a row may have signed out)."""
    if role != "anonymous" and not _signed_in(auth.client):
        _ok(auth.login(ROLE_NIPS[role]), 302)


def _fill(value, world: dict):
    if isinstance(value, str):
        return value.format(**world)
    if isinstance(value, dict):
        return {key: _fill(item, world) for key, item in value.items()}
    return value


def send(client, auth, row: Row, world: dict):
    path = _fill(row.path, world)
    if row.method == "GET":
        return client.get(path)
    token = auth.token("/" if _signed_in(client) else "/masuk")
    if row.case in JSON_BODIES:
        return client.post(path, json=_fill(JSON_BODIES[row.case], world), headers={"X-CSRFToken": token})
    return client.post(path, data={"csrf_token": token, **_fill(FORMS.get(row.case, {}), world)})


# --- checking one answer --------------------------------------------------------------------

# Writes that change what other rows see, run after every other row, in this order: an
# enrolment turns the course pages' redirects into pages, a withdrawn record is gone for
# the rows that decide on it, signing out ends the session (the next row signs in again).
RUN_LAST = (
    "authoring.remove_module",
    "authoring.delete_question",
    "progress.enrol",
    "competencies.withdraw",
    "competencies.delete_assessment",
    "org.deactivate_employee",
    "org.reactivate_employee",
    "accounts.logout",
    "accounts.logout_everywhere",
)
# Rows whose 302 for someone signed in but not enrolled goes to the course page.
NEEDS_ENROLMENT = {"progress.module", "progress.quiz", "progress.start_quiz", "progress.complete_module"}
# Those outside the learner's reach, who must never see the learner's name, records or
# certificate code: only the public verification page shows a certificate's holder.
OUTSIDERS = ("anonymous", "other", "other_supervisor", "trainer")
SHOWN_TO_ANYONE = {"certificates.verify"}
# A course's learners and their results are for its owners (and admins) to see.
SHOWN_TO_OWNERS = {"reports.course_results"}


def run_order(rows) -> list[Row]:
    last = [ROWS[case] for case in RUN_LAST]
    rest = [row for row in rows if row not in last]
    return [r for r in rest if r.method == "GET"] + [r for r in rest if r.method == "POST"] + last


def _redirect_target(row: Row, role: str, world: dict) -> str | None:
    """Where a 302 must go: sign-in for anonymous visitors, the course page for those
    who are not enrolled; None where the row does not say."""
    if role == "anonymous":
        return None if row.endpoint == "core.set_language" else "/masuk"
    if row.endpoint in NEEDS_ENROLMENT and role != "learner":
        return f"/kursus/{world['draft'] if '{draft}' in row.path else world['course']}"
    return None


def problems_with(row: Row, role: str, response, world: dict) -> list[str]:
    """What is wrong with this answer, as lines for the failure report (empty: nothing)."""
    status, expected = response.status_code, row.expected[role]
    where = f"{row.case:<36} {row.method:<4} {_fill(row.path, world)} as {role}"
    if status >= 500:
        return [f"{where}: server error {status}"]
    found = [] if status == expected else [f"{where}: expected {expected}, got {status}"]
    if status == 302 and (wanted := _redirect_target(row, role, world)):
        location = response.headers.get("Location", "")
        if not location.startswith(wanted):
            found.append(f"{where}: redirects to {location}, not to {wanted}")
    shown = row.endpoint in SHOWN_TO_ANYONE or (role == "trainer" and row.endpoint in SHOWN_TO_OWNERS)
    if role in OUTSIDERS and not shown:
        body = response.get_data()
        for marker in (LEARNER_NAME, "milik Peserta", world["certificate_shown"]):
            if marker.encode() in body:
                found.append(f"{where}: the page shows the learner's {marker!r}")
    return found


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_the_role_as_the_table_says(client, auth, world, role):
    problems = []
    for row in run_order(ROWS.values()):
        sign_in(auth, role)
        problems += problems_with(row, role, send(client, auth, row, world), world)
    assert not problems, f"{len(problems)} answers differ from TABLE:\n" + "\n".join(problems)


def test_every_route_has_an_entry(app):
    routes = {rule.endpoint for rule in app.url_map.iter_rules()}
    in_table = {row.endpoint for row in ROWS.values()}
    assert sorted(routes - in_table) == [], "routes without an access decision in TABLE"
    assert sorted(in_table - routes) == [], "TABLE rows for routes that no longer exist"


def test_every_method_of_every_route_is_asked(app):
    """A route that takes both GET and POST has a row for each."""
    asked = {(row.endpoint, row.method) for row in ROWS.values()}
    served = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(served - asked) == []


def test_the_rows_run_last_are_rows_of_the_table():
    assert RUN_LAST and all(case in ROWS for case in RUN_LAST)


def _without_echoes(response, nip: str) -> str:
    """The body minus what differs between two requests anyway: the CSRF token (signed
    with a timestamp) and the NIP asked for (echoed in the language form's address)."""
    body = response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', body)
    return body.replace(nip, "NIP")


@pytest.mark.parametrize(
    ("role", "asked"),
    [
        ("other", NIPS["learner"]),
        ("other_supervisor", NIPS["learner"]),
        ("trainer", NIPS["learner"]),
        ("supervisor", OTHER_TEAM_NIPS["staff"]),
        ("learner", NIPS["other"]),
    ],
)
def test_a_refused_profile_looks_like_one_that_does_not_exist(client, auth, world, role, asked):
    sign_in(auth, role)
    existing = client.get(f"/profil/{asked}")
    missing = client.get(f"/profil/{UNKNOWN_NIP}")
    assert existing.status_code == missing.status_code == 403
    assert _without_echoes(existing, asked) == _without_echoes(missing, UNKNOWN_NIP)
