"""Views for supervisors and admins, and the profile page: queries only, no models."""
