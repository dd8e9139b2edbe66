from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ClientSecretHasher(PBKDF2PasswordHasher):
    """Hasher for API client secrets.

    Secrets are 256-bit random strings, so the work factor only guards a stolen table against
    nothing a brute force could find; it is kept modest because every token request pays it.
    The token endpoint is throttled per client and per address so it cannot be used to burn CPU.
    """

    algorithm = "plum_client_pbkdf2"
    iterations = 20_000
