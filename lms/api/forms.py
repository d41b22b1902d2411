from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class SyncFileForm(FlaskForm):
    file = FileField(_l("Sync file"), validators=[FileRequired(_l("Choose the sync file."))])
