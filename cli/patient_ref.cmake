# `queuecast replay` spells patientRefs as the server does (gateway/patient_ref.h).
target_link_libraries(queuecast PRIVATE queuecast_patient_ref)
