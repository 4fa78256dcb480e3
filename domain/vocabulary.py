"""The closed word lists of the programs (seeds 000-004): kinds, forms, groups, destinations."""

from enum import StrEnum


class Financing(StrEnum):
    BUDGET = "budget"
    GRANT = "grant"
    SOCIAL_IMPACT = "social_impact"


class Indicator(StrEnum):
    """What a program promises its funder and the outcomes report counts."""

    SERVED = "served"
    HOUSED = "housed"
    CONSULTED = "consulted"
    TRAINED = "trained"
    EMPLOYED = "employed"
    NO_RETURN_TO_INSTITUTION = "no_return_to_institution"
    APPLICATIONS_WITHDRAWN = "applications_withdrawn"
    COURSE_STARTED_WITHIN_LIMIT = "course_started_within_limit"
    NEW_SERVICES = "new_services"
    SKILL_EVENTS = "skill_events"
    MENTORS = "mentors"
    SERVICES_DELIVERED = "services_delivered"


class FacilityKind(StrEnum):
    SOCIAL_HOTEL = "social_hotel"
    TRAINING_APARTMENT = "training_apartment"
    SUPPORTED_LIVING_FLAT = "supported_living_flat"
    SHELTER = "shelter"
    INPATIENT_HOME = "inpatient_home"


class TargetGroup(StrEnum):
    MENTAL_DISABILITY = "mental_disability"
    PHYSICAL_DISABILITY = "physical_disability"
    ORPHAN_CARE_LEAVER = "orphan_care_leaver"
    ELDERLY = "elderly"
    LOW_INCOME = "low_income"
    FAMILY_WITH_DISABLED_CHILD = "family_with_disabled_child"
    RELEASED_FROM_PRISON = "released_from_prison"
    HOMELESS = "homeless"


class Residence(StrEnum):
    """Where a person lived before the program, or goes after a placement or the episode."""

    INPATIENT_INSTITUTION = "inpatient_institution"
    PARENTAL_FAMILY = "parental_family"
    OWN_HOME = "own_home"
    ORPHAN_CARE = "orphan_care"
    FOSTER_FAMILY = "foster_family"
    PRISON = "prison"
    STREET = "street"
    SOCIAL_HOTEL = "social_hotel"
    TRAINING_APARTMENT = "training_apartment"
    SUPPORTED_LIVING = "supported_living"
    INDEPENDENT_LIVING = "independent_living"
    UNKNOWN = "unknown"


class AssessmentStage(StrEnum):
    INTAKE = "intake"
    INTERIM = "interim"
    FINAL = "final"


class Specialist(StrEnum):
    """Who a referral goes to."""

    PSYCHOLOGIST = "psychologist"
    LAWYER = "lawyer"
    DOCTOR = "doctor"
    SOCIAL_WORKER = "social_worker"
    EMPLOYMENT_SERVICE = "employment_service"
    EDUCATION_PROVIDER = "education_provider"
    HOUSING_PROVIDER = "housing_provider"
    OTHER = "other"


class CourseFormat(StrEnum):
    IN_PERSON = "in_person"
    DISTANCE = "distance"
    MIXED = "mixed"


COURSE_HOURS = (16, 36, 72)
# A job's hours a week: a full-time week is 40; past 80 is a slip of the keyboard, not a job.
MAX_HOURS_PER_WEEK = 80


class Employment(StrEnum):
    OPEN_MARKET = "open_market"
    SUPPORTED_WORKSHOP = "supported_workshop"


class ServiceKind(StrEnum):
    HOME_CARE = "home_care"
    SEMI_STATIONARY_CARE = "semi_stationary_care"
    STATIONARY_CARE = "stationary_care"
    MOBILE_DOCTOR_VISIT = "mobile_doctor_visit"
    TRANSPORT = "transport"
    CHARITY_DELIVERY = "charity_delivery"
    ACTIVE_LONGEVITY = "active_longevity"
    CONSULTATION_PSYCHOLOGIST = "consultation_psychologist"
    CONSULTATION_LAWYER = "consultation_lawyer"
    CONSULTATION_DOCTOR = "consultation_doctor"
    FOOD_PACKAGE = "food_package"
    HOUSEHOLD_SKILLS = "household_skills"
    WORKSHOP = "workshop"
    MENTORING = "mentoring"
    OUTREACH = "outreach"
    URGENT_REQUEST = "urgent_request"


class ClosureReason(StrEnum):
    GOALS_ACHIEVED = "goals_achieved"
    PROGRAM_ENDED = "program_ended"
    WITHDREW = "withdrew"
    MOVED_AWAY = "moved_away"
    TRANSFERRED = "transferred"
    LOST_CONTACT = "lost_contact"
    DIED = "died"


class InstitutionKind(StrEnum):
    PSYCHONEUROLOGICAL_BOARDING_HOME = "psychoneurological_boarding_home"
    NURSING_HOME = "nursing_home"
    ORPHANAGE = "orphanage"
    HOSPITAL = "hospital"
