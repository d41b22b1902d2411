"""Course certificates: PDF, verification code, public check, revocation."""
