"""Staff sign-in to the admin: a second factor when PLUM_ADMIN_MFA=1 (django-otp), enrolment with
recovery codes, and failed sign-ins throttled (django-axes). docs/keys-and-sign-in.md."""
