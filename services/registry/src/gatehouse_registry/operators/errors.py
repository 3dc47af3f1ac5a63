"""Domain errors of operators, their identifiers and activities (base classes in errors.py)."""

from __future__ import annotations

from gatehouse_registry.errors import ConflictError, InvalidInputError


class DuplicateIdentifierError(ConflictError):
    """The number is registered for another operator (`existing_operator_id`, `_name`)."""

    code = "duplicate_identifier"


class IdentifierTakenMeanwhileError(ConflictError):
    """A parallel creation registered the same number between the check and the insert."""

    code = "identifier_taken_meanwhile"


class InvalidIdentifierError(InvalidInputError):
    """Not a valid number of its type for the country (format or check digits)."""

    code = "invalid_identifier"


class RepeatedIdentifierError(InvalidInputError):
    code = "identifier_repeated"


class IdentifiersMissingError(InvalidInputError):
    code = "identifiers_missing"


class ContactsIncompleteError(InvalidInputError):
    """The authority must be able to reach a new operator: a phone number and an e-mail."""

    code = "contacts_incomplete"


class AddressesMissingError(InvalidInputError):
    code = "addresses_missing"


class SeveralMainAddressesError(InvalidInputError):
    code = "several_main_addresses"


class AddressNotOfOperatorError(InvalidInputError):
    code = "address_not_of_operator"


class SectionNotInChapterError(InvalidInputError):
    code = "section_not_in_chapter"


class ActivityTypeNotInSectionError(InvalidInputError):
    code = "activity_type_not_in_section"


class ValidToBeforeValidFromError(InvalidInputError):
    code = "valid_to_before_valid_from"


class AuthorityNotCompetentError(InvalidInputError):
    """Not an authority of the operator's country that handles the activity's chapter."""

    code = "authority_not_competent"
