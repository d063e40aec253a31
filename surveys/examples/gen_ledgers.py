# Made the example ledger files of SPEC §14 under surveys/examples/ (deterministic; run from the
# repository's root with python3). The files are committed; the tests read them, not this script.
import random, datetime as dt, csv, io
D=dt.date
def roster(name):
    rows=list(csv.DictReader(open(f"surveys/examples/{name}.roster.csv",encoding="utf-8")))
    return [r["unit_id"] for r in rows]
def write(path, head, rows):
    with open(path,"w",encoding="utf-8",newline="") as f:
        w=csv.writer(f, lineterminator="\n"); w.writerow(head); w.writerows(rows)
def days(a,b):
    return [a+dt.timedelta(k) for k in range((b-a).days+1)]
hol={D(2015,4,6),D(2015,5,1)}
def working_due(d,k):
    while k>0:
        d+=dt.timedelta(1)
        if (d.weekday()<5 and d not in hol): k-=1
    return d

# chuangkou: tickets in April 2015, working days, ordinary 3 / complex 7
r=random.Random(2015)
units=roster("chuangkou-haochaping")
rows=[]; n=0
for u in units:
    for _ in range(r.randint(6,12)):
        n+=1
        rec=D(2015,3,27)+dt.timedelta(r.randint(0,35))
        kind="ordinary" if r.random()<0.8 else "complex"
        due=working_due(rec,3 if kind=="ordinary" else 7)
        x=r.random()
        if x<0.80: closed=rec+dt.timedelta(r.randint(0,(due-rec).days))
        elif x<0.90: closed=due+dt.timedelta(r.randint(1,6))
        else: closed=None
        rows.append([f"GD2015{n:05d}",u,rec.isoformat(),closed.isoformat() if closed else "",kind])
# planted faults: one of each reason
rows.append(["GD201599001","W99","2015-04-08","2015-04-09","ordinary"])        # unknown_unit
rows.append(["GD201599002",units[0],"04/08/2015","2015-04-09","ordinary"])     # bad_date (ambiguous)
rows.append(["GD201599003",units[1],"2015-04-10","2015-04-08","ordinary"])     # closed_before_opened
rows.append(["GD201599004",units[2],"2015-04-10","2015-04-13","express"])      # unknown_kind
rows.append([rows[0][0],units[3],"2015-04-14","2015-04-15","ordinary"])        # duplicate
rows.append(["",units[4],"2015-04-14","2015-04-15","ordinary"])                # missing_id
write("surveys/examples/chuangkou-haochaping/tickets.csv",["ticket_id","unit_id","received","closed","kind"],rows)
open("surveys/examples/chuangkou-haochaping/holidays.txt","w",encoding="utf-8").write(
"# 2015年部分节假日（国办发明电〔2014〕28号）：清明节 4月5日（周日）补休 4月6日；劳动节 5月1日\n2015-04-06\n2015-05-01\n")
rows=[]; n=0
for u in units:
    for _ in range(r.randint(0,3)):
        n+=1
        op=D(2015,3,20)+dt.timedelta(r.randint(0,40))
        x=r.random()
        closed = op+dt.timedelta(r.randint(1,18)) if x<0.7 else (op+dt.timedelta(r.randint(22,30)) if x<0.85 else None)
        rows.append([f"CP2015{n:04d}",u,op.isoformat(),closed.isoformat() if closed else ""])
rows.append(["CP20159901","W01","2015-04-31",""])  # bad_date
write("surveys/examples/chuangkou-haochaping/rectifications.csv",["rating_id","unit_id","opened","closed"],rows)

# sanyou: hotline matters, calendar days, ordinary 3 / major 7; Chinese headers and dates
r=random.Random(2023)
units=roster("sanyou-sanmanyi")
rows=[]; n=0
for u in units:
    for _ in range(r.randint(2,8)):
        n+=1
        rec=D(2023,3,20)+dt.timedelta(r.randint(0,92))
        kind="一般问题" if r.random()<0.75 else "重大复杂事项"
        k=3 if kind=="一般问题" else 7
        x=r.random()
        closed = rec+dt.timedelta(r.randint(0,k)) if x<0.8 else (rec+dt.timedelta(r.randint(k+1,k+9)) if x<0.92 else None)
        f=lambda d: f"{d.year}年{d.month}月{d.day}日"
        rows.append([f"RX{n:04d}",u,f(rec),f(closed) if closed else "",kind])
write("surveys/examples/sanyou-sanmanyi/tickets.csv",["工单编号","单位编号","受理日期","办结日期","类别"],rows)

# san-fuwu: commitments ledger 2012
r=random.Random(2012)
units=roster("san-fuwu")
texts=["简化审批流程，办理时限压缩三分之一","公开办事指南和收费标准","开通网上预约办理","推行首问负责制","每月走访服务企业","建立群众诉求限时办结制度","设立便民服务窗口"]
rows=[]; n=0
for u in units:
    for t in r.sample(texts, r.randint(2,5)):
        n+=1
        due=D(2012,6,1)+dt.timedelta(r.randint(0,300))
        x=r.random()
        done = due-dt.timedelta(r.randint(0,60)) if x<0.75 else (due+dt.timedelta(r.randint(1,40)) if x<0.87 else None)
        rows.append([f"CN2012{n:03d}",u,t,due.isoformat(),done.isoformat() if done else ""])
write("surveys/examples/san-fuwu/commitments.csv",["commitment_id","unit_id","text","due","done"],rows)

# san-manyi: yearly targets scored by the 局
r=random.Random(2015)
units=roster("san-manyi")
rows=[[u,"targets",f"{r.randint(70,100)}"] for u in units]
write("surveys/examples/san-manyi/assessments.csv",["unit_id","component","score"],rows)

# minzhu-pingyi: each 站所's 自查自纠 (7月15日前) and 重点整改 (7月31日前), 2011
r=random.Random(2011)
units=roster("caidian-2010")
rows=[]; n=0
for u in units:
    for text,due in [("自查自纠书面材料报镇纪委",D(2011,7,15)),("重点整改",D(2011,7,31))]:
        n+=1
        x=r.random()
        done = due-dt.timedelta(r.randint(0,20)) if x<0.85 else (due+dt.timedelta(r.randint(1,25)) if x<0.95 else None)
        rows.append([f"P{n:04d}",u,text,due.isoformat(),done.isoformat() if done else ""])
write("surveys/examples/minzhu-pingyi/commitments.csv",["commitment_id","unit_id","text","due","done"],rows)
