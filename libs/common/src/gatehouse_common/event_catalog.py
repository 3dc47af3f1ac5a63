"""Every event name Gatehouse publishes and the protobuf message it carries.

Names follow `<service>.<aggregate>.<past verb>`; the messages live in protos/gatehouse/events/v1.
A publisher cannot emit, and a consumer will park, a name that is not listed here.
"""

from __future__ import annotations

from google.protobuf.message import Message

from gatehouse.events.v1 import identity_events_pb2 as identity
from gatehouse.events.v1 import registry_events_pb2 as registry

EVENT_MESSAGES: dict[str, type[Message]] = {
    "identity.user.created": identity.UserCreated,
    "identity.user.registration_repeated": identity.UserRegistrationRepeated,
    "identity.user.password_set": identity.UserPasswordSet,
    "identity.user.password_changed": identity.UserPasswordChanged,
    "identity.user.password_reset_requested": identity.UserPasswordResetRequested,
    "identity.user.locked": identity.UserLocked,
    "identity.second_factor.added": identity.SecondFactorAdded,
    "identity.second_factor.removed": identity.SecondFactorRemoved,
    "identity.second_factor.failures_repeated": identity.SecondFactorFailuresRepeated,
    "identity.device.locked": identity.DeviceLocked,
    "identity.user.devices_reset": identity.UserDevicesReset,
    "identity.recovery_code.used": identity.RecoveryCodeUsed,
    "identity.user.new_device_signed_in": identity.UserNewDeviceSignedIn,
    "identity.user.deleted": identity.UserDeleted,
    "identity.user.farewell_requested": identity.UserFarewellRequested,
    "registry.operator.created": registry.OperatorCreated,
    "registry.operator.validated": registry.OperatorValidated,
    "registry.operator.rejected": registry.OperatorRejected,
    "registry.activity.created": registry.ActivityCreated,
    "registry.activity.validated": registry.ActivityValidated,
    "registry.activity.rejected": registry.ActivityRejected,
    "registry.role_request.created": registry.RoleRequestCreated,
    "registry.role_request.approved": registry.RoleRequestApproved,
    "registry.role_request.rejected": registry.RoleRequestRejected,
    "registry.role.revoked": registry.RoleRevoked,
    "registry.admin.granted": registry.AdminGranted,
    "registry.admin.removed": registry.AdminRemoved,
    "registry.organization.without_administrator": registry.OrganizationWithoutAdministrator,
    "registry.user.inactivity_warned": registry.UserInactivityWarned,
    "registry.user.inactivated": registry.UserInactivated,
    "registry.user.reactivation_requested": registry.UserReactivationRequested,
    "registry.user.reactivated": registry.UserReactivated,
    "registry.user.suspended": registry.UserSuspended,
    "registry.user.unsuspended": registry.UserUnsuspended,
    "registry.web_service_access.requested": registry.WebServiceAccessRequested,
    "registry.web_service_access.approved": registry.WebServiceAccessApproved,
    "registry.web_service_access.rejected": registry.WebServiceAccessRejected,
    "registry.web_service_access.revoked": registry.WebServiceAccessRevoked,
    "registry.machine_client.created": registry.MachineClientCreated,
    "registry.machine_client.rotated": registry.MachineClientRotated,
    "registry.machine_client.revoked": registry.MachineClientRevoked,
}

# Events whose payload holds personal data that their publisher has otherwise erased (the final
# e-mail of a deleted account carries its address): the outbox relay blanks such a row's payload
# once it is published, so the publisher's database does not keep what it has just erased.
ERASED_AFTER_PUBLISHING: frozenset[str] = frozenset({"identity.user.farewell_requested"})


def message_class_for(event_type: str) -> type[Message]:
    try:
        return EVENT_MESSAGES[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
