"""The rows of /work/shared/data/sample_pharmacy_export.csv, transcribed as plan inputs.

Only the prescription columns are kept (the plan needs no patient details). P1010's RX701003 is
left out on purpose: its last fill date (2026-13-40) is impossible, so the import rejects it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import cast

from dialogs.plan.model import Medication, Package, Schedule

EXPORT_DAY = dt.date(2026, 11, 29)

# patient_id,rx_number,drug_name,daily_quantity,days_supply,quantity,last_fill_date,
# refills_remaining,written_date,dea_schedule,prn,maintenance,package,copay
_ROWS = """\
P1001,RX700101,Lisinopril 10 mg tablet,1,30,30,2026-11-03,5,2026-04-02,,N,Y,,10.00
P1001,RX700102,Atorvastatin 40 mg tablet,1,30,30,2026-11-10,4,2026-04-02,,N,Y,,15.00
P1001,RX700103,Metformin 500 mg tablet,2,30,60,2026-10-20,2,2026-02-15,,N,Y,,5.00
P1001,RX700104,Albuterol HFA inhaler 90 mcg,,25,1,2026-09-01,3,2026-01-20,,Y,N,inhaler,25.00
P1002,RX700201,Amlodipine 5 mg tablet,1,30,30,2026-11-05,6,2026-05-11,,N,Y,,4.00
P1002,RX700202,Losartan 50 mg tablet,1,90,90,2026-09-01,1,2026-05-11,,N,Y,,12.00
P1002,RX700203,Insulin glargine 100 units/mL pen 5 x 3 mL,40,37,15,2026-11-01,5,2026-05-11,,N,Y,insulin,35.00
P1002,RX700204,Hydrocodone/APAP 5/325 mg tablet,3,10,30,2026-11-20,0,2026-11-20,CII,N,N,,8.00
P1003,RX700301,Levothyroxine 75 mcg tablet,1,30,30,2026-11-14,11,2026-10-01,,N,Y,,3.00
P1003,RX700302,Metoprolol succinate 50 mg tablet,1,30,30,2026-11-01,0,2025-11-25,,N,Y,,6.00
P1003,RX700303,Sertraline 50 mg tablet,1,30,30,2026-11-22,3,2026-08-19,,N,Y,,7.00
P1004,RX700401,Simvastatin 20 mg tablet,1,30,30,2026-11-08,5,2026-06-01,,N,Y,,2.00
P1004,RX700402,Hydrochlorothiazide 25 mg tablet,0.5,30,15,2026-11-12,5,2026-06-01,,N,Y,,2.00
P1004,RX700403,Latanoprost 0.005% eye drops 2.5 mL,2,25,1,2026-11-02,4,2026-06-01,,N,Y,eye_drops,20.00
P1005,RX700501,Warfarin 5 mg tablet,1,30,30,2026-11-18,2,2026-07-07,,N,Y,,4.00
P1005,RX700502,Furosemide 20 mg tablet,1,30,30,2026-11-06,2,2026-07-07,,N,Y,,3.00
P1005,RX700503,Potassium chloride ER 10 mEq tablet,1,30,30,2026-11-06,2,2026-07-07,,N,Y,,3.00
P1006,RX700601,Gabapentin 300 mg capsule,3,30,90,2026-11-09,4,2026-06-30,CV,N,Y,,9.00
P1006,RX700602,Omeprazole 20 mg capsule,1,30,30,2026-11-16,4,2026-06-30,,N,Y,,5.00
P1006,RX700603,Alprazolam 0.5 mg tablet,1,30,30,2026-11-16,2,2026-09-30,CIV,N,Y,,4.00
P1007,RX700701,Donepezil 10 mg tablet,1,30,30,2026-11-11,5,2026-05-20,,N,Y,,6.00
P1007,RX700702,Memantine 10 mg tablet,2,30,60,2026-11-11,5,2026-05-20,,N,Y,,8.00
P1008,RX700801,Amoxicillin 500 mg capsule,3,10,30,2026-11-24,0,2026-11-24,,N,N,,5.00
P1008,RX700802,Ondansetron 4 mg tablet,,10,10,2026-11-24,1,2026-11-24,,Y,N,,5.00
P1009,RX700901,Escitalopram 10 mg tablet,1,30,30,2026-11-04,5,2026-08-01,,N,Y,,5.00
P1009,RX700902,Montelukast 10 mg tablet,1,30,30,2026-11-15,5,2026-08-01,,N,Y,,5.00
P1010,RX701001,Glipizide 5 mg tablet,2,30,60,2026-11-07,3,2026-03-03,,N,Y,,4.00
P1010,RX701002,Pioglitazone 15 mg tablet,1,30,30,2026-11-19,3,2026-03-03,,N,Y,,6.00
P1011,RX701101,Tamsulosin 0.4 mg capsule,1,30,30,2026-11-09,4,2026-05-05,,N,Y,,5.00
P1011,RX701102,Finasteride 5 mg tablet,1,30,30,2026-11-21,4,2026-05-05,,N,Y,,5.00
P1012,RX701201,Alendronate 70 mg tablet,0.142857,28,4,2026-11-13,5,2026-05-05,,N,Y,,6.00
P1012,RX701202,Levothyroxine 50 mcg tablet,1,30,30,2026-11-17,5,2026-05-05,,N,Y,,3.00
"""  # noqa: E501 (rows copied verbatim from the export)


def _medication(row: list[str]) -> Medication:
    (_, rx, drug, daily, days, qty, last_fill, refills, written, schedule, prn, maint, package,
     copay) = row  # fmt: skip
    return Medication(
        rx_number=rx,
        drug_name=drug,
        daily_quantity=Decimal(daily) if daily else None,
        days_supply=int(days),
        quantity=Decimal(qty),
        last_fill_date=dt.date.fromisoformat(last_fill),
        refills_remaining=int(refills),
        written_date=dt.date.fromisoformat(written),
        dea_schedule=cast(Schedule, schedule) if schedule else None,
        prn=prn == "Y",
        maintenance=maint == "Y",
        package=cast(Package, package) if package else None,
        copay=Decimal(copay),
    )


def _patients() -> dict[str, list[Medication]]:
    patients: dict[str, list[Medication]] = {}
    for row in csv.reader(io.StringIO(_ROWS)):
        patients.setdefault(row[0], []).append(_medication(row))
    return patients


PATIENTS = _patients()
