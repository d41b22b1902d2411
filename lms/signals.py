"""Domain events. A package on the left sends; packages on the right listen.

Every signal is sent with the sender's name and keyword arguments, after the rows
involved are flushed (not committed: one commit per request happens at the edge).
"""

from blinker import Namespace

_signals = Namespace()

#: kwargs: pegawai_id, modul (Modul)
module_completed = _signals.signal("module-completed")
#: kwargs: attempt (Attempt), kursus_id
quiz_submitted = _signals.signal("quiz-submitted")
#: kwargs: completion (CourseCompletion)
course_completed = _signals.signal("course-completed")
#: kwargs: record (Pengembangan), verified_by_id
development_verified = _signals.signal("development-verified")
#: kwargs: record (Pengembangan); sent when an employee submits one for verification
development_submitted = _signals.signal("development-submitted")
#: kwargs: record_id (str); sent when a record waiting for verification stops waiting:
#: verified, rejected or withdrawn
development_settled = _signals.signal("development-settled")
#: kwargs: pegawai_ids (list[int]); sent when employees are created, moved to another
#: unit, change jabatan or status, or are (de)activated: rules that follow people listen
people_changed = _signals.signal("people-changed")
#: kwargs: kursus (Kursus), pegawai_ids (list[int]), due_date, source ("assigned"|"mandatory")
courses_assigned = _signals.signal("courses-assigned")
#: kwargs: sertifikat (Sertifikat)
certificate_issued = _signals.signal("certificate-issued")
