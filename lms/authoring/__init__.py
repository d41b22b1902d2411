"""The trainer's editor: courses, modules, the question bank and quiz settings, written
through the catalog's and quizzes' services; course packages (zip of the kursus/ format)."""
