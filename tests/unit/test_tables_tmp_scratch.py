import datetime as dt
from lakehouse import tables
def test_merge(spark, tmp_lake):
    rows=[("a",1,"x"),("a",2,"y"),("b",1,"z")]
    df=spark.createDataFrame(rows,"k string, v int, s string")
    st=tables.merge(spark,tmp_lake,"bronze","t",df,["k"],order_col="v")
    print(st); assert st.inserted==2 and st.deduplicated==1
    st=tables.merge(spark,tmp_lake,"bronze","t",df,["k"],order_col="v")
    print(st); assert st.inserted==0 and st.updated==0 and st.unchanged==2
    df2=spark.createDataFrame([("a",3,"q","new"),("c",0,"w","n")],"k string, v int, s string, extra string")
    st=tables.merge(spark,tmp_lake,"bronze","t",df2,["k"],order_col="v",allow_new_columns=True)
    print(st); assert st.inserted==1 and st.updated==1
    print(sorted(tables.read(spark,tmp_lake,"bronze","t").collect()))
