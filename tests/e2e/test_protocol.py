"""The control protocol's one error shape (src/common/protocol.h): every failed request, whatever its
routine, answers with error, error_domain, error_message and error_detail — launchd's codes, Service
Management's kSMError codes and launch_activate_socket's errno alike."""
from rawxpc import Raw

SHAPE = {"error", "error_domain", "error_message", "error_detail"}


def error_of(reply):
    assert SHAPE <= set(reply), f"not the error shape: {reply}"
    assert reply["error"] != 0
    return reply["error_domain"], reply["error"], reply["error_message"], reply["error_detail"]


def test_every_kind_of_failure_has_the_same_shape(gantry):
    raw = Raw(gantry.socket, passcred=True)
    try:
        domain, code, message, detail = error_of(raw.call({"routine": "print", "domain": gantry.domain,
                                                           "label": "no.such.job"}))
        assert (domain, code) == ("launchd", 113)  # launchd's "Could not find specified service"
        assert "no.such.job" in detail
        domain, code, message, detail = error_of(raw.call({"routine": "sm-register", "kind": "bogus",
                                                           "bundle": "/nonexistent.app", "name": "x.plist"}))
        assert (domain, code, message) == ("ServiceManagement", 2, "Internal failure")  # kSMErrorInternalFailure
        assert "bogus" in detail
        domain, code, message, detail = error_of(raw.call({"routine": "activate-socket", "name": "Listeners"}))
        assert (domain, code, message) == ("POSIX", 3, "No such process")  # ESRCH: the caller is no job
        domain, code, message, detail = error_of(raw.call({"routine": "no-such-routine"}))
        assert domain == "launchd" and "no-such-routine" in detail
    finally:
        raw.close()
