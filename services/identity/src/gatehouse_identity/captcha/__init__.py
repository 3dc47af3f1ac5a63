"""A self-hosted captcha (image and audio) for sign-up and for addresses that failed sign-in."""
